# The video VQ-VAE (stage 1) at detection resolution, 128x416 KITTI raw, 8-frame clips, for
# configs/ssd_vqvae_kitti.py (the detector uses its encoder; priors are not needed there).
_base_ = './pretrain_kitti_416x128.py'
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
