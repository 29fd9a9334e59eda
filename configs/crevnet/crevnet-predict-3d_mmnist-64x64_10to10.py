# CrevNet with 3D convolutions (the paper's "with 3D" row): 3-frame clips per step, 3x3x3 kernels
# in the two-way autoencoder and the RPMs; otherwise crevnet-predict_mmnist-64x64_10to10.py.
# Until 2026-12 configs/baselines/crevnet_3d_mmnist.py (kept as an alias).
_base_ = './crevnet-predict_mmnist-64x64_10to10.py'
model = dict(conv_dim=3, clip_len=3)
