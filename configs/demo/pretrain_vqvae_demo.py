# tools/demo.py --methods vqvae: a small video VQ-VAE (stage 1; the detector needs only its
# encoder) pretrained on the synthetic KITTI-raw drives in 8-frame clips, for ssd_vqvae_demo.py.
# No benchmark hook: predicting needs the (untrained) priors.
_base_ = ['../vqvae/vqvae-stage1_kitti-raw-128x416_4to4.py']
data_root = 'work_dirs/demo_data_moving/raw/'
# feature_path='both': the detector reads the clip's newest slice and the target frame encoded
# alone (the clip's slice blends the target with the frame before it)
model = dict(vqvae=dict(nh=32, code_dim=16, num_codes=128, num_res=1), feature_path='both')
_loader = dict(batch_size=4, num_workers=1, persistent_workers=False)
train_dataloader = dict(**_loader, dataset=dict(data_root=data_root, split='train'))
test_dataloader = dict(**_loader, dataset=dict(data_root=data_root, split='val'))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=300)
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[240], gamma=0.3)]
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=300, max_keep_ckpts=1))
