# The demo's detector (docs/get_started.md#the-demo): SSD on the small frozen CrevNet of
# pretrain_demo.py, trained on the
# synthetic KITTI-object images written by tools/demo.py. tools/demo.py sets the checkpoint.
_base_ = '../ssd_crevnet_kitti.py'
data_root = 'work_dirs/demo_data_moving/object/'
crevnet = 'configs/demo/pretrain_demo.py'  # its `model`: the architecture, written once
# checkpoint: tools/demo.py sets its pretraining run's iter_N.pth
model = dict(backbone=dict(model=crevnet, init_cfg=dict(checkpoint='')))
_loader = dict(batch_size=8, num_workers=1, persistent_workers=False)
train_dataloader = dict(**_loader, dataset=dict(data_root=data_root))
val_dataloader = dict(**_loader, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=6, val_interval=6)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(type='MultiStepLR', by_epoch=True, milestones=[4], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=6, max_keep_ckpts=1))
