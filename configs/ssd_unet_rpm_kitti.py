# SSD on a frozen UNet + RPM encoder (encoder stages at strides 4 and 8 + the mean RPM attention
# mask), everything else as configs/ssd_crevnet_kitti.py: the detection side of the Table 2
# comparison "two-way autoencoder vs UNet".
# Pretrain first:  python tools/train.py configs/pretrain_unet_rpm_kitti_416x128.py
_base_ = './ssd_crevnet_kitti.py'
pretrained = 'work_dirs/pretrain_unet_rpm_kitti_416x128/'
unet_rpm = 'configs/pretrain_unet_rpm_kitti_416x128.py'  # its `model`
# stage 1: 64 channels; stage 2: 128 + 64 (mean RPM gate over the latent's half)
feat_channels = (64, 192)
model = dict(
    backbone=dict(_delete_=True, type='VideoPredictorBackbone', model=unet_rpm,
                  num_frames={{_base_.det_num_frames}}, out_indices=(1, 2), gates='mean',
                  frozen=True, init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=feat_channels, out_channels=feat_channels + (256, 256, 128)),
    bbox_head=dict(in_channels=feat_channels + (256, 256, 128)))
