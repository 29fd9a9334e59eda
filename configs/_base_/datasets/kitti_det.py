# KITTI 2D object detection with the 3 previous frames (training/prev_2), 416x128 as in the paper.
# Frames are stacked on channels (oldest first, target last): every mmdet geometric transform
# applies the same geometry to all frames.
dataset_type = 'KittiDetDataset'
data_root = 'data/kitti/object/'

img_scale = (416, 128)  # (w, h)
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'kitti_objects', 'num_frames')

train_pipeline = [
    dict(type='LoadMultiFrameImages'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    # degenerate boxes (x2 <= x1) would make the box regression targets infinite
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='MultiFramePhotoMetricDistortion', brightness_delta=24,
         contrast_range=(0.7, 1.3), saturation_range=(0.7, 1.3), hue_delta=10),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadMultiFrameImages'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='ImageSets/train.txt',
                 num_prev=3, filter_cfg=dict(filter_empty_gt=True),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='ImageSets/val.txt',
                 num_prev=3, test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='KittiMetric')
test_evaluator = val_evaluator
