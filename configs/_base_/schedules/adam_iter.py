# Adam 5e-4 as the authors train CrevNet; iteration-based with step decay.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=5e-4),
                     clip_grad=dict(max_norm=10.0))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=100000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[60000, 85000], gamma=0.3),
]
# total batch size the lr above was set for (--auto-scale-lr)
auto_scale_lr = dict(enable=False, base_batch_size=16)
