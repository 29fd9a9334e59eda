# The demo's pretraining: the DETECTION recipe of the full-size path
# (configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py: GroupNorm couplings, motion-only
# scaled-convex RPMs, 128x416, 4 observed -> 1 predicted), differing only in sizes and schedule:
# 2-2-2 coupling blocks and 4 RPMs of 32 channels instead of 4-5-3 and 8 of 64, 80 iterations at
# a constant Adam 1e-3 on the synthetic KITTI-raw drives tools/demo.py writes. Still copy-last
# at initialisation (tests/test_models/test_predictors/test_copy_last_start.py).
# Evidence: docs/benchmarks/detection_transfer.md.
_base_ = '../crevnet/crevnet-detect_kitti-raw-128x416_4to1.py'
data_root = 'work_dirs/demo_data_moving/raw/'
model = dict(autoencoder=dict(blocks=(2, 2, 2)),
             predictor=dict(num_layers=4, hidden_channels=32))
_loader = dict(batch_size=4, num_workers=1, persistent_workers=False)
train_dataloader = dict(**_loader, dataset=dict(data_root=data_root, split='train'))
val_dataloader = dict(**_loader, dataset=dict(data_root=data_root, split='val'))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=80, val_interval=80)
param_scheduler = None  # a constant learning rate: 80 iterations are too few to anneal
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=80, max_keep_ckpts=1))
custom_hooks = [
    dict(type='VideoPredictionBenchmarkHook', interval=80, by_epoch=False, max_clips=8,
         datasets=[dict(name='demo_val',
                        dataset=dict(type='KittiRawVideoDataset', data_root=data_root,
                                     split='val', clip_len=5, clip_stride=5,
                                     frame_size=(128, 416)))]),
]
