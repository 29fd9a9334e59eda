# Old name of configs/convlstm/convlstm-seq2seq_mmnist-64x64_10to10.py (ConvLSTM seq2seq on
# Moving MNIST, 10 -> 10), kept in the comparison set of this folder (configs/baselines/README.md).
_base_ = '../convlstm/convlstm-seq2seq_mmnist-64x64_10to10.py'
