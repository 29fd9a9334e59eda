# Recipe ablation, step d: c trained closed loop (the predicted latent is fed back, as at test
# time) with MSE only. The recipe (configs/baselines/crevnet_2d_mmnist.py) adds an L1 term.
_base_ = '../baselines/crevnet_2d_mmnist.py'
model = dict(loss_l1_weight=0.0)
