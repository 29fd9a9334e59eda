# configs/demo/ssd_demo.py on the tiny CrevNet of tiny_scaling_pretrain.py, batch 2: the scaling
# tool's test. The tool sets the data root, the labelled subset, the schedule and the checkpoint.
_base_ = '../../configs/demo/ssd_demo.py'
model = dict(backbone=dict(model='tests/configs/tiny_scaling_pretrain.py'))
train_dataloader = dict(batch_size=2, num_workers=0)
val_dataloader = dict(batch_size=2, num_workers=0)
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=1))
