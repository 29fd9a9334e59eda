# PredRNN (Wang et al. 2017): 4 ST-LSTM layers of 64 channels with zig-zag spatiotemporal memory,
# resolution-preserving like the paper's baselines (patch_size=1; PredRNN's own code uses 4).
model = dict(
    type='PredRNN',
    in_channels=3,
    n_past=10,
    n_future=1,
    num_layers=4,
    hidden_channels=64,
    patch_size=1,
    teacher_forcing=True,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
