# Old name of configs/predrnn/predrnn_mmnist-64x64_10to10.py (PredRNN on Moving MNIST, 10 -> 10),
# kept in the comparison set of this folder (configs/baselines/README.md).
_base_ = '../predrnn/predrnn_mmnist-64x64_10to10.py'
