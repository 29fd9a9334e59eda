# Old name of configs/unet_rpm/unet-rpm_kitti-raw-128x416_4to1.py (UNet + RPM pretrained at
# detection resolution), kept so existing commands keep working: it trains into
# work_dirs/pretrain_unet_rpm_kitti_416x128/, which configs/ssd_unet_rpm_kitti.py loads.
_base_ = './unet_rpm/unet-rpm_kitti-raw-128x416_4to1.py'
