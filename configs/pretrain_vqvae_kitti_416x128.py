# Old name of configs/vqvae/vqvae-stage1_kitti-raw-128x416_4to4.py (the video VQ-VAE, stage 1, at
# detection resolution), kept so existing commands keep working: it trains into
# work_dirs/pretrain_vqvae_kitti_416x128/, which configs/ssd_vqvae_kitti.py loads.
_base_ = './vqvae/vqvae-stage1_kitti-raw-128x416_4to4.py'
