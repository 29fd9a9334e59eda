# configs/ablations/srvp_nf32_bernoulli.py with decoder skip connections (the authors' real-video
# setting, off in their Moving MNIST preset): in training the encoder maps of one random frame of
# the clip, at prediction those of the last observed frame. (docs/benchmarks/stochastic.md.)
_base_ = './srvp_nf32_bernoulli.py'
model = dict(skip=True)
