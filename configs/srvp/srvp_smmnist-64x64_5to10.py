# SRVP on stochastic Moving MNIST, 5 -> 10. `predict` draws 5 samples per sequence; the metric
# reports best / mean / worst of them per step (SVG / SRVP protocol) next to copy-last.
# FVD: add dict(type='FVDMetric', feature_extractor=dict(type='I3DFeatureExtractor',
# weights='checkpoints/i3d_torchscript.pt')) to val_evaluator (the weights must be local).
# Until 2026-12 configs/srvp_smmnist.py (kept as an alias).
_base_ = [
    '../_base_/models/srvp.py', '../_base_/datasets/stochastic_moving_mnist.py',
    '../_base_/schedules/adam_iter.py', '../_base_/default_runtime.py'
]
optim_wrapper = dict(optimizer=dict(lr=3e-4))
