# Old name of configs/srvp/ssd_srvp_kitti-416x128.py (SSD on the frozen SRVP encoder), kept so
# existing commands keep working; it loads the newest checkpoint of the old pretraining path
# configs/pretrain_srvp_kitti_416x128.py (the same pretraining under its old name):
#   python tools/train.py configs/pretrain_srvp_kitti_416x128.py
#   python tools/train.py configs/ssd_srvp_kitti.py
_base_ = './srvp/ssd_srvp_kitti-416x128.py'
pretrained = 'work_dirs/pretrain_srvp_kitti_416x128/'
srvp = 'configs/pretrain_srvp_kitti_416x128.py'  # the old name of the same pretraining config
model = dict(backbone=dict(model=srvp, init_cfg=dict(checkpoint=pretrained)))
