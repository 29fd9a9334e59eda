# SSD on the frozen full-size CrevNet of the DETECTION recipe (features + attention masks, paper
# Table 5), KITTI 2D object, 416x128, the target + 3 previous frames (training/prev_2).
# Pretrain first:  python tools/train.py configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py
# then this config loads that run's newest checkpoint (weights-only, strict, architecture-checked).
# Controls of the transfer table (tools/analysis_tools/transfer_table.py sets them):
#   random backbone              --cfg-options model.backbone.init_cfg=None
#   random + frame-diff masks    ... model.backbone.init_cfg=None model.backbone.masks=frame_diff
#   pretrained, masks zeroed     ... model.backbone.masks=zero
#   end to end from scratch      ... model.backbone.init_cfg=None model.backbone.frozen=False
_base_ = ['../_base_/models/ssd_crevnet.py', '../_base_/datasets/kitti_det.py',
          '../_base_/schedules/det_adam.py', '../_base_/det_runtime.py']
pretrained = 'work_dirs/crevnet-detect_kitti-raw-128x416_4to1/'  # a run folder: its newest .pth
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
