# Old name of configs/convlstm/stacked-convlstm_mmnist-64x64_10to10.py (stacked ConvLSTM on
# Moving MNIST, 10 -> 10), kept in the comparison set of this folder (configs/baselines/README.md).
_base_ = '../convlstm/stacked-convlstm_mmnist-64x64_10to10.py'
