# CrevNet on 2-digit Moving MNIST, 10 -> 10 (the authors' setting: batch 16, Adam 5e-4, 8 RPMs
# with hidden size 32; crevdet's start and loss, the PREDICTION recipe, see
# ../_base_/models/crevnet_predict.py). 2D: one frame per step.
# Until 2026-12 configs/pretrain_mmnist.py and configs/baselines/crevnet_2d_mmnist.py (both kept
# as aliases).
_base_ = [
    '../_base_/models/crevnet_predict.py', '../_base_/datasets/moving_mnist.py',
    '../_base_/schedules/adam_iter.py', '../_base_/default_runtime.py'
]
model = dict(in_channels=1, n_past=10, n_future=10,
             predictor=dict(num_layers=8, hidden_channels=32, cell='convlstm'))
