# KITTI raw video, PredNet protocol: 128x160, drives split as PredNet, 10 observed -> 1 predicted.
# data_root must hold the raw layout <date>/<date>_drive_<dddd>_sync/image_02/data/*.png
dataset_type = 'KittiRawVideoDataset'
data_root = 'data/kitti_raw/'
clip_len = 11
frame_size = (128, 160)

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', clip_len=clip_len,
                 clip_stride=1, frame_size=frame_size, flip_prob=0.5))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='val', clip_len=clip_len,
                 clip_stride=clip_len, frame_size=frame_size))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', clip_len=clip_len,
                 clip_stride=clip_len, frame_size=frame_size))
val_evaluator = dict(type='VideoPredictionMetric')
test_evaluator = val_evaluator
