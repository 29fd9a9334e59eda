# Recipe ablation, step c: b + the RPM update x2' = x2 + a * g * (hp - x2), a = tanh(10 * alpha),
# alpha = 0 at the start (a convex mix, as the paper's, that starts at the identity).
_base_ = '../crevnet/crevnet-predict_mmnist-64x64_10to10.py'
model = dict(teacher_forcing=True, loss_l1_weight=0.0)
