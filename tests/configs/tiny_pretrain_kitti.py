# configs/crevnet/crevnet-predict_kitti-raw-128x160_10to1.py (the prediction recipe) shrunk to
# seconds: tiny model, 32x48 frames, 4 iterations.
# The data folder comes from the CREVDET_TEST_DATA environment variable (mmengine's {{$ENV}}).
_base_ = '../../configs/crevnet/crevnet-predict_kitti-raw-128x160_10to1.py'
data_root = '{{$CREVDET_TEST_DATA:data/kitti_raw/}}'
frame_size = (32, 48)
clip_len = 5
model = dict(n_past=3, n_future=2, autoencoder=dict(blocks=(1, 1, 1)),
             predictor=dict(num_layers=2, hidden_channels=8))
_loader = dict(batch_size=2, num_workers=0, persistent_workers=False)
train_dataloader = dict(**_loader, dataset=dict(data_root=data_root, split='all',
                                                clip_len=clip_len, frame_size=frame_size))
val_dataloader = dict(**_loader, dataset=dict(data_root=data_root, split='all',
                                              clip_len=clip_len, clip_stride=clip_len,
                                              frame_size=frame_size))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=4, val_interval=4)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
custom_hooks = [
    dict(type='VideoPredictionBenchmarkHook', interval=4, by_epoch=False, max_clips=2,
         datasets=[dict(name='tiny', dataset=dict(type='KittiRawVideoDataset',
                                                  data_root=data_root, split='all',
                                                  clip_len=clip_len, clip_stride=clip_len,
                                                  frame_size=frame_size))]),
]
