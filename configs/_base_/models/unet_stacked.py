# UNet + stacked RNN (the paper's Table 2 ablation): the UNet of unet_rpm.py with 4 plain ConvLSTM
# layers of 64 channels in the bottleneck instead of the RPMs.
model = dict(
    type='UNetVideoPredictor',
    in_channels=3,
    n_past=10,
    n_future=1,
    encoder=dict(channels=(32, 64, 128), norm='gn'),
    predictor=dict(type='StackedRNNPredictor', num_layers=4, hidden_channels=64, cell='convlstm'),
    teacher_forcing=True,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
