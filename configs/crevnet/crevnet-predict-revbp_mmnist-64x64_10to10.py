# CrevNet 2D with reversible backprop: the autoencoder keeps no activations for backward and
# rebuilds them from its output with the exact inverse (same model and results, less memory);
# otherwise crevnet-predict_mmnist-64x64_10to10.py.
# Until 2026-12 configs/baselines/crevnet_2d_revbp_mmnist.py (kept as an alias).
_base_ = './crevnet-predict_mmnist-64x64_10to10.py'
model = dict(reversible_backprop=True)
