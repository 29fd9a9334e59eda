# SSD on frozen CrevNet features + attention masks (paper Table 5), KITTI 2D, 416x128.
# Pretrain first:  python tools/train.py configs/pretrain_kitti_416x128.py
# then point `pretrained` at its checkpoint (weights-only load of the autoencoder/predictor).
_base_ = ['_base_/models/ssd_crevnet.py', '_base_/datasets/kitti_det.py',
          '_base_/schedules/det_adam.py', '_base_/det_runtime.py']
pretrained = 'work_dirs/pretrain_kitti_416x128/iter_20000.pth'
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
