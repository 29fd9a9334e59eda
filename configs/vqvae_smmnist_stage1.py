# Old name of configs/vqvae/vqvae-stage1_smmnist-64x64_4to12.py (stage 1 of the video VQ-VAE on
# stochastic Moving MNIST, 4 -> 12), kept so existing commands keep working: it trains into
# work_dirs/vqvae_smmnist_stage1/, which configs/vqvae_smmnist_stage2.py loads.
_base_ = './vqvae/vqvae-stage1_smmnist-64x64_4to12.py'
