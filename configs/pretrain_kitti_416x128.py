# Detection-resolution fine-tune of the KITTI pretraining (the paper does this before detection):
# 128x416 frames, 4 observed -> 1 predicted. The detector sees the target + 3 previous frames and
# takes its features and attention masks from the predictor step that consumes the target (step
# 3); with teacher forcing the loss covers steps 0..3 here, so that step is trained (a 3 -> 1
# clip would train steps 0..2 only).
_base_ = './pretrain_kitti.py'
clip_len = 5
frame_size = (128, 416)
model = dict(n_past=4, n_future=1)
train_dataloader = dict(batch_size=4, dataset=dict(clip_len=clip_len, frame_size=frame_size))
val_dataloader = dict(batch_size=4, dataset=dict(clip_len=clip_len, clip_stride=clip_len,
                                                 frame_size=frame_size))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=20000, val_interval=5000)
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[15000], gamma=0.3)]
custom_hooks = [
    dict(type='VideoPredictionBenchmarkHook', interval=5000, by_epoch=False, max_clips=32,
         datasets=[dict(name='kitti_val_416',
                        dataset=dict(type='KittiRawVideoDataset', data_root='data/kitti_raw/',
                                     split='val', clip_len=clip_len, clip_stride=clip_len,
                                     frame_size=frame_size))]),
]
