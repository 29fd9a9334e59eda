# The 78 real KITTI raw frames of ../shared/data (one 10 Hz drive, dense city traffic): train on
# frames 0-59, test on the clips inside frames 60-77 (disjoint in time: no test frame is ever
# trained on, not even as context), 4 observed -> 1 predicted at 128x160 (PredNet's resize +
# centre crop). A real-video check of what a few CPU minutes of pretraining buy, for
#   tools/analysis_tools/learning_curves.py CONFIG ... \
#       --data configs/_base_/datasets/kitti_raw_sample.py
data_root = '../shared/data/kitti_raw_sample/2011_09_26/2011_09_26_drive_0000_sync/image_02/data'
protocol = dict(in_channels=3, n_past=4, n_future=1, frame_size=(128, 160))
_ds = dict(type='VideoFolderDataset', data_root=data_root, clip_len=5, frame_size=(128, 160))
_loader = dict(batch_size=4, num_workers=0, persistent_workers=False,
               collate_fn=dict(type='pseudo_collate'))
train_dataloader = dict(**_loader, sampler=dict(type='InfiniteSampler', shuffle=True),
                        dataset=dict(_ds, frame_range=(0, 60), clip_stride=1, flip_prob=0.5))
test_dataloader = dict(**_loader, sampler=dict(type='DefaultSampler', shuffle=False),
                       dataset=dict(_ds, frame_range=(60, 78), clip_stride=1))
test_evaluator = dict(type='VideoPredictionMetric')
