# configs/ablations/srvp_nf32_bernoulli.py at 16 filters: a cheaper encoder/decoder, so more
# iterations in the same CPU budget. (docs/benchmarks/stochastic.md.)
_base_ = './srvp_nf32_bernoulli.py'
model = dict(nf=16)
