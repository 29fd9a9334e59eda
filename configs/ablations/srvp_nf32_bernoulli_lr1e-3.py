# configs/ablations/srvp_nf32_bernoulli.py with Adam at lr 1e-3 (the Gaussian model's fastest).
_base_ = './srvp_nf32_bernoulli.py'
optim_wrapper = dict(optimizer=dict(lr=1e-3))
