# Old name of configs/crevnet/crevnet-predict-revbp_mmnist-64x64_10to10.py (CrevNet 2D with
# reversible backprop), kept in the comparison set of this folder (configs/baselines/README.md).
_base_ = '../crevnet/crevnet-predict-revbp_mmnist-64x64_10to10.py'
