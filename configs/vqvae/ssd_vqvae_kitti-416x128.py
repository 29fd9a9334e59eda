# SSD on the frozen video VQ-VAE encoder: the 4 detection frames (target last) form one clip;
# bottom features (stride 4) and top features (stride 8) of its newest temporal slice,
# standardised per channel (out_norm='instance': the raw maps are mostly a constant offset per
# channel; on the demo this took the SSD from 0.98 to 28.37 mAP R40,
# docs/benchmarks/detection_transfer.md). Everything else as
# ../crevnet/ssd_crevnet-detect_kitti-416x128.py.
# Pretrain first:  python tools/train.py configs/vqvae/vqvae-stage1_kitti-raw-128x416_4to4.py
# Until 2026-12 configs/ssd_vqvae_kitti.py (kept as an alias).
_base_ = '../crevnet/ssd_crevnet-detect_kitti-416x128.py'
pretrained = 'work_dirs/vqvae-stage1_kitti-raw-128x416_4to4/'  # a run folder: its newest .pth
vqvae = 'configs/vqvae/vqvae-stage1_kitti-raw-128x416_4to4.py'  # its `model`
feat_channels = (64, 64)
model = dict(
    backbone=dict(_delete_=True, type='VideoPredictorBackbone', model=vqvae,
                  num_frames={{_base_.det_num_frames}}, out_indices=(0, 1), gates='none',
                  out_norm='instance', frozen=True,
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=feat_channels, out_channels=feat_channels + (256, 256, 128)),
    bbox_head=dict(in_channels=feat_channels + (256, 256, 128)))
