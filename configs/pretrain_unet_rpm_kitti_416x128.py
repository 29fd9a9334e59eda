# UNet + RPM (the paper's Table 2 ablation) pretrained like CrevNet at detection resolution
# (128x416, 4 -> 1), so configs/ssd_unet_rpm_kitti.py can compare the two encoders for detection.
_base_ = './pretrain_kitti_416x128.py'
model = dict(
    _delete_=True,
    type='UNetVideoPredictor',
    in_channels=3,
    n_past=4,
    n_future=1,
    encoder=dict(channels=(32, 64, 128), norm='gn'),
    predictor=dict(type='RPMPredictor', num_layers=8, hidden_channels=64, cell='convlstm'),
    teacher_forcing=True,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
