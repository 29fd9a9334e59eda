# CrevNet 2D as the paper / the authors' code build and train it: every coupling function keeps
# PyTorch's random initialisation behind GroupNorm, the RPMs mix x2' = (1 - g) * x2 + g * hp with
# g ~ 0.5 at the start and biased cells, teacher-forced MSE. Compare with
# crevnet-predict_mmnist-64x64_10to10.py (crevdet's recipe: an exact copy-last start, closed-loop
# MSE + L1; docs/design/deviations.md).
# Until 2026-12 configs/baselines/crevnet_2d_paper_init_mmnist.py (kept as an alias).
_base_ = './crevnet-predict_mmnist-64x64_10to10.py'
model = dict(autoencoder=dict(norm='gn', zero_init_residual=False),
             predictor=dict(update='convex', bias=True, gate_bias=None),
             teacher_forcing=True, loss_l1_weight=0.0)
