# CrevNet without 3D convolutions (one frame per step, 2D convs):
# configs/crevnet/crevnet-predict_mmnist-64x64_10to10.py (also configs/pretrain_mmnist.py),
# under this name so the benchmark and ablation tables read "crevnet_2d" vs "crevnet_3d"
# (the comparison set of this folder: configs/baselines/README.md).
_base_ = '../crevnet/crevnet-predict_mmnist-64x64_10to10.py'
