# SSD on a frozen CrevNet backbone (the detection recipe, configs/crevnet/crevnet-detect_*):
# autoencoder stages at strides 4 and 8 (+ the mean RPM attention mask on the latter), SSD
# extra layers down to stride 64, anchors sized for 416x128 KITTI objects.
det_num_frames = 4
# the architecture is the pretraining config's `model`, written there only
crevnet = 'configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py'
model = dict(
    type='SingleStageDetector',
    data_preprocessor=dict(type='MultiFrameDetDataPreprocessor', num_frames=det_num_frames,
                           mean=[0, 0, 0], std=[255, 255, 255], bgr_to_rgb=True,
                           pad_size_divisor=8),
    backbone=dict(type='CrevNetBackbone', model=crevnet, num_frames=det_num_frames,
                  out_indices=(1, 2), gates='mean', frozen=True),
    neck=dict(type='SSDNeck', in_channels=(48, 288), out_channels=(48, 288, 256, 256, 128),
              level_strides=(2, 2, 2), level_paddings=(1, 1, 1), l2_norm_scale=20),
    bbox_head=dict(
        type='FixedSSDHead',
        in_channels=(48, 288, 256, 256, 128),
        num_classes=3,
        anchor_generator=dict(
            type='SSDAnchorGenerator', scale_major=False, input_size=416,
            strides=[(4, 4), (8, 8), (16, 16), (32, 32), (64, 64)],
            ratios=([2], [2, 3], [2, 3], [2], [2]),
            min_sizes=[8, 16, 32, 56, 88], max_sizes=[16, 32, 56, 88, 128]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                        target_stds=[0.1, 0.1, 0.2, 0.2])),
    train_cfg=dict(
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.,
                      ignore_iof_thr=-1, gt_max_assign_all=False),
        sampler=dict(type='PseudoSampler'),
        smoothl1_beta=1., allowed_border=-1, pos_weight=-1, neg_pos_ratio=3, debug=False),
    test_cfg=dict(nms_pre=1000, nms=dict(type='nms', iou_threshold=0.45), min_bbox_size=0,
                  score_thr=0.02, max_per_img=200))
