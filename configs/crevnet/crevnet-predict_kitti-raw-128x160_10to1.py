# The PREDICTION recipe on KITTI raw, PredNet's protocol (128x160, 10 -> 1), Adam 5e-4: the
# video-prediction benchmark config (docs/benchmarks/real_video.md). For a detection backbone
# pretrain configs/pretrain_kitti.py (the detection recipe) instead: docs/user_guides/recipes.md.
# Until 2026-12-07 this config was configs/pretrain_kitti.py.
# Point it at your data by editing `data_root` below (it feeds every dataloader and the benchmark
# hook), or per dataloader on the command line:
#   --cfg-options train_dataloader.dataset.data_root=/data/kitti_raw \
#                 val_dataloader.dataset.data_root=/data/kitti_raw \
#                 test_dataloader.dataset.data_root=/data/kitti_raw
_base_ = [
    '../_base_/models/crevnet_predict.py', '../_base_/datasets/kitti_raw.py',
    '../_base_/schedules/adam_iter.py', '../_base_/default_runtime.py'
]
data_root = 'data/kitti_raw/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))

model = dict(in_channels=3, n_past=10, n_future=1)

custom_hooks = [
    # predictor quality + a visual grid on the val drive while training
    dict(type='VideoPredictionBenchmarkHook', interval=5000, by_epoch=False, max_clips=32,
         datasets=[dict(name='kitti_val',
                        dataset=dict(type='KittiRawVideoDataset', data_root=data_root,
                                     split='val', clip_len=11, clip_stride=11,
                                     frame_size=(128, 160)))]),
]
