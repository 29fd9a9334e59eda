# Recipe ablation, step a: the exact copy-last start (zero-initialised couplings, residual RPM
# update x2' = x2 + g * hp with hp = 0 at the start) on the paper's otherwise unchanged model:
# GroupNorm in the couplings, biased RPM cells, teacher-forced MSE. docs/design/deviations.md.
_base_ = '../crevnet/crevnet-predict_mmnist-64x64_10to10.py'
model = dict(autoencoder=dict(norm='gn'), predictor=dict(bias=True, update='residual'),
             teacher_forcing=True, loss_l1_weight=0.0)
