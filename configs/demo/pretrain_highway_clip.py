# Next-frame prediction on the real 1.5 s highway clip of ../shared/data (25 fps, every 2nd frame):
# train on its first 24 frames, evaluate on the last 14 (disjoint in time), 3 -> 1 at 128x160.
# A CPU sanity check of real-video pretraining, not a benchmark of record.
_base_ = '../pretrain_video_folder.py'
video = '../shared/data/driving_video/highway_clip.mp4'
model = dict(n_past=3, n_future=1, autoencoder=dict(blocks=(2, 2, 2)),
             predictor=dict(num_layers=4, hidden_channels=32))
_ds = dict(data_root=video, clip_len=4, frame_step=2)
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(**_ds, frame_range=(0, 24)))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                      dataset=dict(**_ds, frame_range=(24, 38), clip_stride=1))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=300, val_interval=300)
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[240], gamma=0.3)]
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=300))
