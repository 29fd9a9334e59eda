# The demo detector of ssd_demo.py on the frozen small SRVP encoder of pretrain_srvp_demo.py
# (DCGAN stages at strides 4 and 8: 32 and 64 channels). tools/demo.py sets the checkpoint.
_base_ = './ssd_demo.py'
srvp = 'configs/demo/pretrain_srvp_demo.py'  # its `model`
feat_channels = (32, 64)
model = dict(
    backbone=dict(_delete_=True, type='VideoPredictorBackbone', model=srvp,
                  num_frames={{_base_.det_num_frames}}, out_indices=(1, 2), gates='none',
                  frozen=True, init_cfg=dict(type='Pretrained', checkpoint='')),
    neck=dict(in_channels=feat_channels, out_channels=feat_channels + (256, 256, 128)),
    bbox_head=dict(in_channels=feat_channels + (256, 256, 128)))
