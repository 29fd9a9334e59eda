# CrevNet with 3D convolutions (the paper's "with 3D" row): 3-frame clips per step, 3x3x3 kernels
# in the two-way autoencoder and the RPMs; otherwise configs/pretrain_mmnist.py.
_base_ = '../pretrain_mmnist.py'
model = dict(conv_dim=3, clip_len=3)
