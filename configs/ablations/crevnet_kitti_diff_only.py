# Real video: each RPM's recurrent cell sees only the temporal difference of its input half
# (diff_input='only'), with the residual update x2' = x2 + g * W_p h (W_p = 0: copy-last start)
# and bias-free cells: a still region gets exactly no update, a moving one is extrapolated.
_base_ = '../crevnet/crevnet-predict_kitti-raw-128x160_10to1.py'
model = dict(predictor=dict(diff_input='only', update='residual'))
