# Old name of configs/unet_rpm/ssd_unet-rpm_kitti-416x128.py (SSD on the frozen UNet + RPM
# encoder), kept so existing commands keep working; it loads the newest checkpoint of the old
# pretraining path configs/pretrain_unet_rpm_kitti_416x128.py (the same pretraining):
#   python tools/train.py configs/pretrain_unet_rpm_kitti_416x128.py
#   python tools/train.py configs/ssd_unet_rpm_kitti.py
_base_ = './unet_rpm/ssd_unet-rpm_kitti-416x128.py'
pretrained = 'work_dirs/pretrain_unet_rpm_kitti_416x128/'
unet_rpm = 'configs/pretrain_unet_rpm_kitti_416x128.py'  # the old name of the same config
model = dict(backbone=dict(model=unet_rpm, init_cfg=dict(checkpoint=pretrained)))
