# UNet + stacked ConvLSTM (the other Table 2 ablation: plain ConvLSTM layers in the UNet's
# bottleneck instead of the RPMs) on 2-digit Moving MNIST, 10 -> 10, with CrevNet's recipe
# (../crevnet/crevnet-predict_mmnist-64x64_10to10.py): batch 16, Adam 5e-4, same schedule, same
# metric.
# Until 2026-12 configs/baselines/unet_stacked_mmnist.py (kept as an alias).
_base_ = [
    '../_base_/models/unet_stacked.py', '../_base_/datasets/moving_mnist.py',
    '../_base_/schedules/adam_iter.py', '../_base_/default_runtime.py'
]
model = dict(in_channels=1, n_past=10, n_future=10)
