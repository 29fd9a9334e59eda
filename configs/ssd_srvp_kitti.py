# SSD on the frozen SRVP frame encoder (DCGAN conv stages at strides 4 and 8; SRVP has no
# attention masks), everything else as configs/ssd_crevnet_kitti.py.
# Pretrain first:  python tools/train.py configs/pretrain_srvp_kitti_416x128.py
_base_ = './ssd_crevnet_kitti.py'
pretrained = 'work_dirs/pretrain_srvp_kitti_416x128/'
srvp = 'configs/pretrain_srvp_kitti_416x128.py'  # its `model`
feat_channels = (64, 128)
model = dict(
    backbone=dict(_delete_=True, type='VideoPredictorBackbone', model=srvp,
                  num_frames={{_base_.det_num_frames}}, out_indices=(1, 2), gates='none',
                  frozen=True, init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=feat_channels, out_channels=feat_channels + (256, 256, 128)),
    bbox_head=dict(in_channels=feat_channels + (256, 256, 128)))
