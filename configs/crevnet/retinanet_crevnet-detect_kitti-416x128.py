# mmdet's own RetinaNet model (inherited with mmdet::) on the frozen CrevNet backbone + FPN:
# the full-size DETECTION recipe (configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py).
_base_ = ['mmdet::_base_/models/retinanet_r50_fpn.py', '../_base_/models/crevnet_fpn.py',
          '../_base_/datasets/kitti_det.py', '../_base_/schedules/det_adam.py',
          '../_base_/det_runtime.py']
default_scope = 'crevdet'
model = dict(
    _scope_='crevdet',  # mmdet:: inheritance sets 'mmdet'; crevdet falls back to mmdet anyway
    data_preprocessor={{_base_.crevnet_fpn_preprocessor}},
    backbone={{_base_.crevnet_fpn_backbone}},
    neck=dict(in_channels=[48, 288], start_level=0, add_extra_convs='on_output', num_outs=5),
    bbox_head=dict(num_classes=3,
                   anchor_generator=dict(octave_base_scale=2, strides=[4, 8, 16, 32, 64])))
