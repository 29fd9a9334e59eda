# UNet + RPM (the paper's Table 2 ablation) pretrained like CrevNet at detection resolution
# (128x416 KITTI raw, 4 -> 1: the data, schedule and benchmark hook of
# ../crevnet/crevnet-detect_kitti-raw-128x416_4to1.py), so ssd_unet-rpm_kitti-416x128.py can
# compare the two encoders for detection.
# Until 2026-12 configs/pretrain_unet_rpm_kitti_416x128.py (kept as an alias).
_base_ = '../crevnet/crevnet-detect_kitti-raw-128x416_4to1.py'
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
