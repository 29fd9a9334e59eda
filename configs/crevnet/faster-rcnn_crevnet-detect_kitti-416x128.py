# mmdet's own Faster R-CNN model (inherited with mmdet::) on the frozen CrevNet backbone + FPN:
# the full-size DETECTION recipe (configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py).
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py', '../_base_/datasets/kitti_det.py',
          '../_base_/schedules/det_adam.py', '../_base_/det_runtime.py']
default_scope = 'crevdet'
num_frames = 4
pretrained = 'work_dirs/crevnet-detect_kitti-raw-128x416_4to1/iter_20000.pth'
model = dict(
    _scope_='crevdet',
    data_preprocessor=dict(type='MultiFrameDetDataPreprocessor', num_frames=num_frames,
                           mean=[0, 0, 0], std=[255, 255, 255], bgr_to_rgb=True,
                           pad_size_divisor=32),
    backbone=dict(
        _delete_=True, type='CrevNetBackbone', num_frames=num_frames, out_indices=(1, 2),
        gates='mean', frozen=True,
        model='configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py',  # its `model`
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[48, 288], num_outs=4),
    rpn_head=dict(anchor_generator=dict(scales=[4], strides=[4, 8, 16, 32])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(num_classes=3)))
