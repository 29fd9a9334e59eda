# PredRNN (4 ST-LSTM layers, zig-zag memory) on 2-digit Moving MNIST, 10 -> 10, with CrevNet's
# recipe (../crevnet/crevnet-predict_mmnist-64x64_10to10.py): batch 16, Adam 5e-4, same schedule,
# same metric.
# Until 2026-12 configs/baselines/predrnn_mmnist.py (kept as an alias).
_base_ = [
    '../_base_/models/predrnn.py', '../_base_/datasets/moving_mnist.py',
    '../_base_/schedules/adam_iter.py', '../_base_/default_runtime.py'
]
model = dict(in_channels=1, n_past=10, n_future=10)
