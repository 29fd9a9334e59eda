# Old name of configs/srvp/srvp_smmnist-64x64_5to10.py (SRVP on stochastic Moving MNIST, 5 -> 10,
# the authors' preset), kept so existing commands, work dirs and the ablations that inherit it
# keep working.
_base_ = './srvp/srvp_smmnist-64x64_5to10.py'
