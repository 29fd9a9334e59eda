# Recipe ablation, step b: a + no normalisation in the couplings and no biases in the RPM cells
# (a bias-free, norm-free net maps the black background to itself). docs/design/deviations.md.
_base_ = '../crevnet/crevnet-predict_mmnist-64x64_10to10.py'
model = dict(predictor=dict(update='residual'), teacher_forcing=True, loss_l1_weight=0.0)
