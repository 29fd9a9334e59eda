# The video VQ-VAE (stage 1) at detection resolution, 128x416 KITTI raw, 8-frame clips (4 -> 4),
# for ssd_vqvae_kitti-416x128.py (the detector uses its encoder; priors are not needed there):
# the data and schedule of CrevNet's detection pretraining
# (../crevnet/crevnet-detect_kitti-raw-128x416_4to1.py), the VQ-VAE's model.
# Until 2026-12 configs/pretrain_vqvae_kitti_416x128.py (kept as an alias).
_base_ = '../crevnet/crevnet-detect_kitti-raw-128x416_4to1.py'
clip_len = 8
model = dict(
    _delete_=True,
    type='VQVAEVideoPredictor',
    in_channels=3,
    n_past=4,
    n_future=4,
    stage='vqvae',
    vqvae=dict(nh=64, code_dim=32, num_codes=512, num_res=2),
    data_preprocessor=dict(type='VideoDataPreprocessor'))
train_dataloader = dict(dataset=dict(clip_len=clip_len))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = dict(dataset=dict(clip_len=clip_len, clip_stride=clip_len))
train_cfg = dict(val_interval=10 ** 9)
custom_hooks = []
