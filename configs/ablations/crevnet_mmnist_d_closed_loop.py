# Recipe ablation, step d: c trained closed loop (the predicted latent is fed back, as at test
# time) with MSE only. The recipe (configs/crevnet/crevnet-predict_mmnist-64x64_10to10.py) adds
# an L1 term.
_base_ = '../crevnet/crevnet-predict_mmnist-64x64_10to10.py'
model = dict(loss_l1_weight=0.0)
