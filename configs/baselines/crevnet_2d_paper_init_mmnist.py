# Old name of configs/crevnet/crevnet-paper_mmnist-64x64_10to10.py (CrevNet 2D as the paper
# builds and trains it; docs/design/deviations.md), kept in the comparison set of this folder
# (configs/baselines/README.md).
_base_ = '../crevnet/crevnet-paper_mmnist-64x64_10to10.py'
