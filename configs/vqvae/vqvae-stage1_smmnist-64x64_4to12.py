# Stage 1 of the VQ-VAE video predictor on stochastic Moving MNIST (4 -> 12, 64x64): the VQ-VAE
# alone (reconstruction + commitment). No validation: the priors are not trained yet.
# Then: python tools/train.py configs/vqvae/vqvae-stage2_smmnist-64x64_4to12.py
# Until 2026-12 configs/vqvae_smmnist_stage1.py (kept as an alias).
_base_ = [
    '../_base_/models/vqvae_video.py', '../_base_/datasets/stochastic_moving_mnist.py',
    '../_base_/schedules/adam_iter.py', '../_base_/default_runtime.py'
]
seq_len = 16
train_dataloader = dict(dataset=dict(seq_len=seq_len))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = dict(dataset=dict(seq_len=seq_len))
optim_wrapper = dict(optimizer=dict(lr=3e-4))
train_cfg = dict(max_iters=100000, val_interval=10 ** 9)
