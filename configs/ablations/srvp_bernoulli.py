# The authors' stochastic Moving MNIST preset (configs/srvp/srvp_smmnist-64x64_5to10.py: 64
# filters, BatchNorm, dt = 1, lr 3e-4) with one change: a Bernoulli likelihood instead of their
# Gaussian of scale 1 (see configs/ablations/srvp_nf32_bernoulli.py for why).
# docs/benchmarks/stochastic.md.
_base_ = '../srvp/srvp_smmnist-64x64_5to10.py'
model = dict(likelihood='bernoulli')
