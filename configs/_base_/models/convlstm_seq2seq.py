# ConvLSTM encoder-decoder (seq2seq): 2 encoder + 2 decoder ConvLSTM layers of 64 channels, a
# Conv3d (1x3x3) head with sigmoid; loss on the predicted future frames only.
model = dict(
    type='ConvLSTMSeq2Seq',
    in_channels=3,
    n_past=10,
    n_future=1,
    hidden_channels=64,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
