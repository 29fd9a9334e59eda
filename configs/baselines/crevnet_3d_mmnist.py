# Old name of configs/crevnet/crevnet-predict-3d_mmnist-64x64_10to10.py (CrevNet with 3D
# convolutions), kept in the comparison set of this folder (configs/baselines/README.md).
_base_ = '../crevnet/crevnet-predict-3d_mmnist-64x64_10to10.py'
