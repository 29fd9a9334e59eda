# The 32-filter SRVP (GroupNorm, dt = 1/2) with a Bernoulli likelihood (binary cross-entropy on
# the decoder's logits) instead of the authors' Gaussian of scale 1: under the Gaussian the pull
# on an almost-black pixel through the sigmoid vanishes and the background stays a haze that SSIM
# punishes; the Bernoulli NLL keeps pulling it to 0. Authors' lr 3e-4.
# (docs/benchmarks/stochastic.md)
_base_ = '../srvp/srvp_smmnist-64x64_5to10.py'
model = dict(nf=32, norm='gn', dt=0.5, likelihood='bernoulli')
