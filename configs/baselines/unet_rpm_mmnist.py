# Old name of configs/unet_rpm/unet-rpm_mmnist-64x64_10to10.py (UNet + RPM on Moving MNIST,
# 10 -> 10), kept in the comparison set of this folder (configs/baselines/README.md).
_base_ = '../unet_rpm/unet-rpm_mmnist-64x64_10to10.py'
