# CrevNet without 3D convolutions (one frame per step, 2D convs): configs/pretrain_mmnist.py,
# under this name so the benchmark and ablation tables read "crevnet_2d" vs "crevnet_3d".
_base_ = '../pretrain_mmnist.py'
