# Stage 2: the top and bottom PixelCNN priors on the frozen stage-1 VQ-VAE's codes. `load_from`
# takes the stage-1 weights (the newest checkpoint of vqvae-stage1_smmnist-64x64_4to12.py's run
# folder; the priors start from scratch); validation samples 3 futures per sequence and reports
# best / mean / worst of them next to copy-last.
# Until 2026-12 configs/vqvae_smmnist_stage2.py (kept as an alias).
_base_ = [
    '../_base_/models/vqvae_video.py', '../_base_/datasets/stochastic_moving_mnist.py',
    '../_base_/schedules/adam_iter.py', '../_base_/default_runtime.py'
]
seq_len = 16
model = dict(stage='prior')
load_from = 'work_dirs/vqvae-stage1_smmnist-64x64_4to12/'
train_dataloader = dict(dataset=dict(seq_len=seq_len))
val_dataloader = dict(dataset=dict(seq_len=seq_len, num_sequences=256))
test_dataloader = dict(dataset=dict(seq_len=seq_len))
optim_wrapper = dict(optimizer=dict(lr=3e-4))
train_cfg = dict(max_iters=100000, val_interval=10000)
