# Old name of configs/vqvae/ssd_vqvae_kitti-416x128.py (SSD on the frozen video VQ-VAE encoder,
# out_norm='instance'), kept so existing commands keep working; it loads the newest checkpoint
# of the old pretraining path configs/pretrain_vqvae_kitti_416x128.py (the same pretraining):
#   python tools/train.py configs/pretrain_vqvae_kitti_416x128.py
#   python tools/train.py configs/ssd_vqvae_kitti.py
_base_ = './vqvae/ssd_vqvae_kitti-416x128.py'
pretrained = 'work_dirs/pretrain_vqvae_kitti_416x128/'
vqvae = 'configs/pretrain_vqvae_kitti_416x128.py'  # the old name of the same pretraining config
model = dict(backbone=dict(model=vqvae, init_cfg=dict(checkpoint=pretrained)))
