# CrevNet 2D with reversible backprop: the autoencoder keeps no activations for backward and
# rebuilds them from its output with the exact inverse (same model and results, less memory).
_base_ = '../pretrain_mmnist.py'
model = dict(reversible_backprop=True)
