# SSD on the frozen SRVP frame encoder (DCGAN conv stages at strides 4 and 8; SRVP has no
# attention masks), everything else as ../crevnet/ssd_crevnet-detect_kitti-416x128.py.
# Pretrain first:  python tools/train.py configs/srvp/srvp_kitti-raw-128x416_4to1.py
# then this config loads that run's newest checkpoint.
# Until 2026-12 configs/ssd_srvp_kitti.py (kept as an alias).
_base_ = '../crevnet/ssd_crevnet-detect_kitti-416x128.py'
pretrained = 'work_dirs/srvp_kitti-raw-128x416_4to1/'  # a run folder: its newest checkpoint
srvp = 'configs/srvp/srvp_kitti-raw-128x416_4to1.py'  # its `model`
feat_channels = (64, 128)
model = dict(
    backbone=dict(_delete_=True, type='VideoPredictorBackbone', model=srvp,
                  num_frames={{_base_.det_num_frames}}, out_indices=(1, 2), gates='none',
                  frozen=True, init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=feat_channels, out_channels=feat_channels + (256, 256, 128)),
    bbox_head=dict(in_channels=feat_channels + (256, 256, 128)))
