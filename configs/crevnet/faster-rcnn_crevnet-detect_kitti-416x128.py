# mmdet's own Faster R-CNN model (inherited with mmdet::) on the frozen CrevNet backbone + FPN:
# the full-size DETECTION recipe (configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py).
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py', '../_base_/models/crevnet_fpn.py',
          '../_base_/datasets/kitti_det.py', '../_base_/schedules/det_adam.py',
          '../_base_/det_runtime.py']
default_scope = 'crevdet'
model = dict(
    _scope_='crevdet',
    data_preprocessor={{_base_.crevnet_fpn_preprocessor}},
    backbone={{_base_.crevnet_fpn_backbone}},
    neck=dict(in_channels=[48, 288], num_outs=4),
    rpn_head=dict(anchor_generator=dict(scales=[4], strides=[4, 8, 16, 32])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(num_classes=3)))
