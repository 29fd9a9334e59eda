# Old name of configs/crevnet/retinanet_crevnet-detect_kitti-416x128.py
# (RetinaNet on the frozen CrevNet of the detection recipe), kept so existing commands keep working;
# it loads the checkpoint of the old pretraining path configs/pretrain_kitti_416x128.py.
_base_ = './crevnet/retinanet_crevnet-detect_kitti-416x128.py'
model = dict(backbone=dict(
    model='configs/pretrain_kitti_416x128.py',  # the old name of the same pretraining config
    init_cfg=dict(checkpoint='work_dirs/pretrain_kitti_416x128/')))
