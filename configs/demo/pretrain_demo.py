# The README demo's pretraining: a small CrevNet on the synthetic KITTI-raw drives written by
# tools/demo.py, at the detection resolution (128x416), 4 observed -> 1 predicted, 80 iterations.
# A detection-oriented recipe (README "The demo's recipe"): the paper's autoencoder (random
# GroupNorm couplings, whose frozen features a minutes-long SSD learns from far faster than from
# the identity-started couplings of the prediction recipe) and motion-only RPMs whose attention
# masks a * g start at exactly zero (update='scaled_convex': a = tanh(10 alpha), alpha = 0), so
# the random control gets no mask at all and every mask the detector sees was learned. Still
# copy-last at initialisation: the autoencoder is exactly bijective and the RPMs the identity.
_base_ = '../pretrain_kitti_416x128.py'
data_root = 'work_dirs/demo_data/raw/'
model = dict(autoencoder=dict(blocks=(2, 2, 2), min_mid_channels=16, norm='gn',
                              zero_init_residual=False),
             predictor=dict(num_layers=4, hidden_channels=32, diff_input='only',
                            update='scaled_convex'))
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
