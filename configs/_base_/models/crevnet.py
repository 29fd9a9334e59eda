# CrevNet with the authors' Moving MNIST autoencoder (squeeze 2, blocks [4, 5, 3], strides
# [1, 2, 2]) and 8 ConvLSTM RPMs; datasets' configs set in_channels / n_past / n_future.
model = dict(
    type='CrevNet',
    in_channels=3,
    n_past=10,
    n_future=1,
    conv_dim=2,
    autoencoder=dict(init_squeeze=2, blocks=(4, 5, 3), strides=(1, 2, 2), norm='gn',
                     min_mid_channels=16),
    predictor=dict(num_layers=8, hidden_channels=64, cell='convlstm'),
    teacher_forcing=True,
    reversible_backprop=False,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
