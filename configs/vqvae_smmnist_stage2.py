# Old name of configs/vqvae/vqvae-stage2_smmnist-64x64_4to12.py (the PixelCNN priors on the
# frozen stage-1 codes), kept so existing commands keep working; it loads the stage-1 run of the
# old name, configs/vqvae_smmnist_stage1.py.
_base_ = './vqvae/vqvae-stage2_smmnist-64x64_4to12.py'
load_from = 'work_dirs/vqvae_smmnist_stage1/'
