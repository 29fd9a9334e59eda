# SSD on a frozen UNet + RPM encoder (encoder stages at strides 4 and 8 + the mean RPM attention
# mask), everything else as ../crevnet/ssd_crevnet-detect_kitti-416x128.py: the detection side of
# the Table 2 comparison "two-way autoencoder vs UNet".
# Pretrain first:  python tools/train.py configs/unet_rpm/unet-rpm_kitti-raw-128x416_4to1.py
# Until 2026-12 configs/ssd_unet_rpm_kitti.py (kept as an alias).
_base_ = '../crevnet/ssd_crevnet-detect_kitti-416x128.py'
pretrained = 'work_dirs/unet-rpm_kitti-raw-128x416_4to1/'  # a run folder: its newest checkpoint
unet_rpm = 'configs/unet_rpm/unet-rpm_kitti-raw-128x416_4to1.py'  # its `model`
# stage 1: 64 channels; stage 2: 128 + 64 (mean RPM gate over the latent's half)
feat_channels = (64, 192)
model = dict(
    backbone=dict(_delete_=True, type='VideoPredictorBackbone', model=unet_rpm,
                  num_frames={{_base_.det_num_frames}}, out_indices=(1, 2), gates='mean',
                  frozen=True, init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=feat_channels, out_channels=feat_channels + (256, 256, 128)),
    bbox_head=dict(in_channels=feat_channels + (256, 256, 128)))
