# The demo detector of ssd_demo.py on the frozen small video VQ-VAE encoder of
# pretrain_vqvae_demo.py: the 4 detection frames form one clip; bottom (stride 4) and top
# (stride 8) features of its newest slice and of the target frame alone (feature_path='both'),
# 32 + 32 channels each, standardised per channel (out_norm='instance', see
# ../vqvae/ssd_vqvae_kitti-416x128.py).
_base_ = './ssd_demo.py'
vqvae = 'configs/demo/pretrain_vqvae_demo.py'  # its `model`
feat_channels = (64, 64)
model = dict(
    backbone=dict(_delete_=True, type='VideoPredictorBackbone', model=vqvae,
                  num_frames={{_base_.det_num_frames}}, out_indices=(0, 1), gates='none',
                  out_norm='instance', frozen=True,
                  init_cfg=dict(type='Pretrained', checkpoint='')),
    neck=dict(in_channels=feat_channels, out_channels=feat_channels + (256, 256, 128)),
    bbox_head=dict(in_channels=feat_channels + (256, 256, 128)))
