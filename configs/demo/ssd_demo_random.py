# Control of ssd_demo.py: identical, but the frozen CrevNet keeps its random initialisation.
_base_ = './ssd_demo.py'
model = dict(backbone=dict(init_cfg=None))
