# configs/demo/pretrain_demo.py shrunk to seconds for the scaling tool's test: a tiny CrevNet of
# the same recipe, batch 1, one benchmark clip. The tool sets data roots, iterations and seed.
_base_ = '../../configs/demo/pretrain_demo.py'
model = dict(autoencoder=dict(blocks=(1, 1, 1)),
             predictor=dict(num_layers=2, hidden_channels=8))
train_dataloader = dict(batch_size=1, num_workers=0)
val_dataloader = dict(batch_size=1, num_workers=0)
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=1))
custom_hooks = [
    dict(type='VideoPredictionBenchmarkHook', interval=2, by_epoch=False, max_clips=1,
         datasets=[dict(name='tiny_val',
                        dataset=dict(type='KittiRawVideoDataset', data_root='unset',
                                     split='val', clip_len=5, clip_stride=5,
                                     frame_size=(128, 416)))]),
]
