# Stacked ConvLSTM (Shi et al. 2015; the paper's "Stacked-RNN" baseline): 4 ConvLSTM layers of
# 64 channels at full frame resolution, 1x1 conv to the next frame, teacher-forced MSE.
model = dict(
    type='StackedConvLSTM',
    in_channels=3,
    n_past=10,
    n_future=1,
    num_layers=4,
    hidden_channels=64,
    patch_size=1,
    teacher_forcing=True,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
