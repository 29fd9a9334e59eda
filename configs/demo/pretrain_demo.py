# The README demo's pretraining: a small CrevNet on the synthetic KITTI-raw drives written by
# tools/demo.py, at the detection resolution (128x416), 4 observed -> 1 predicted.
_base_ = '../pretrain_kitti_416x128.py'
data_root = 'work_dirs/demo_data/raw/'
model = dict(autoencoder=dict(blocks=(2, 2, 2), min_mid_channels=16),
             predictor=dict(num_layers=4, hidden_channels=32))
_loader = dict(batch_size=4, num_workers=1, persistent_workers=False)
train_dataloader = dict(**_loader, dataset=dict(data_root=data_root, split='train'))
val_dataloader = dict(**_loader, dataset=dict(data_root=data_root, split='val'))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=300, val_interval=300)
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[240], gamma=0.3)]
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=300, max_keep_ckpts=1))
custom_hooks = [
    dict(type='VideoPredictionBenchmarkHook', interval=300, by_epoch=False, max_clips=8,
         datasets=[dict(name='demo_val',
                        dataset=dict(type='KittiRawVideoDataset', data_root=data_root,
                                     split='val', clip_len=5, clip_stride=5,
                                     frame_size=(128, 416)))]),
]
