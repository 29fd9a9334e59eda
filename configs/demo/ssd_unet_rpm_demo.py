# The demo detector of ssd_demo.py on the frozen small UNet + RPM of pretrain_unet_rpm_demo.py
# (encoder stages at strides 4 and 8: 32 and 64 + 32 mean-gate channels).
_base_ = './ssd_demo.py'
unet_rpm = 'configs/demo/pretrain_unet_rpm_demo.py'  # its `model`
feat_channels = (32, 96)
model = dict(
    backbone=dict(_delete_=True, type='VideoPredictorBackbone', model=unet_rpm,
                  num_frames={{_base_.det_num_frames}}, out_indices=(1, 2), gates='mean',
                  frozen=True, init_cfg=dict(type='Pretrained', checkpoint='')),
    neck=dict(in_channels=feat_channels, out_channels=feat_channels + (256, 256, 128)),
    bbox_head=dict(in_channels=feat_channels + (256, 256, 128)))
