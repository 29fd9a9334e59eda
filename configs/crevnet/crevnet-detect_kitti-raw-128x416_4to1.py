# Detection pretraining at full size: the DETECTION recipe (_base_/models/crevnet_detect.py) on
# KITTI raw at the detector's resolution, 128x416, 4 observed -> 1 predicted, Adam 5e-4, 20k
# iterations (decay at 15k). The detector (ssd_crevnet-detect_kitti-416x128.py) sees the target
# + 3 previous frames and takes its features and masks from the predictor step that consumes the
# target (step 3): a 4 -> 1 clip trains steps 0..3 (closed loop), so that step is trained.
# Point it at your data by editing `data_root` (it feeds every dataloader and the benchmark
# hook), or per dataloader with --cfg-options train_dataloader.dataset.data_root=... .
# Length: 20k iterations x batch 4 = 80k clips, under two passes over KITTI raw's ~47k frames.
# The scaling study (docs/benchmarks/scaling.md) saw no loss from longer pretraining at about
# one pass and a loss in one seed of two at 14 passes: with much less video, lower max_iters
# in proportion (docs/user_guides/recipes.md#how-much-video-how-many-pretraining-iterations).
# Recipe chooser and evidence: docs/user_guides/recipes.md.
_base_ = [
    '../_base_/models/crevnet_detect.py', '../_base_/datasets/kitti_raw.py',
    '../_base_/schedules/adam_iter.py', '../_base_/default_runtime.py'
]
data_root = 'data/kitti_raw/'
clip_len = 5
frame_size = (128, 416)
model = dict(in_channels=3, n_past=4, n_future=1)
train_dataloader = dict(batch_size=4, dataset=dict(data_root=data_root, clip_len=clip_len,
                                                   frame_size=frame_size))
val_dataloader = dict(batch_size=4, dataset=dict(data_root=data_root, clip_len=clip_len,
                                                 clip_stride=clip_len, frame_size=frame_size))
test_dataloader = dict(batch_size=4, dataset=dict(data_root=data_root, clip_len=clip_len,
                                                  clip_stride=clip_len, frame_size=frame_size))
train_cfg = dict(max_iters=20000, val_interval=5000)
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[15000], gamma=0.3)]
custom_hooks = [
    # prediction quality (and copy-last beside it) + a visual grid on the val drive
    dict(type='VideoPredictionBenchmarkHook', interval=5000, by_epoch=False, max_clips=32,
         datasets=[dict(name='kitti_val_416',
                        dataset=dict(type='KittiRawVideoDataset', data_root=data_root,
                                     split='val', clip_len=clip_len, clip_stride=clip_len,
                                     frame_size=frame_size))]),
]
