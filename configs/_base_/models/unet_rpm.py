# UNet + RPM (the paper's Table 2 ablation): a conventional UNet (strides 2/4/8, 32/64/128
# channels) instead of the two-way autoencoder, with CrevNet's 8 RPMs in the bottleneck.
model = dict(
    type='UNetVideoPredictor',
    in_channels=3,
    n_past=10,
    n_future=1,
    encoder=dict(channels=(32, 64, 128), norm='gn'),
    predictor=dict(type='RPMPredictor', num_layers=8, hidden_channels=64, cell='convlstm'),
    teacher_forcing=True,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
