# tools/demo.py --methods unet_rpm: a small UNet + RPM (the paper's Table 2 ablation) pretrained
# like pretrain_demo.py, for ssd_unet_rpm_demo.py.
_base_ = ['./pretrain_demo.py']
model = dict(
    _delete_=True,
    type='UNetVideoPredictor',
    in_channels=3,
    n_past=4,
    n_future=1,
    encoder=dict(channels=(16, 32, 64), norm='gn'),
    predictor=dict(type='RPMPredictor', num_layers=4, hidden_channels=32, cell='convlstm'),
    data_preprocessor=dict(type='VideoDataPreprocessor'))
