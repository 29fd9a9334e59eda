# Real video: CrevNet whose RPMs also get the temporal difference of their input half
# (diff_input=True) with the residual update x2' = x2 + g * W_p h (W_p = 0: copy-last start).
# Motion is then an input of each cell, not something it must first build in its memory.
_base_ = '../crevnet/crevnet-predict_kitti-raw-128x160_10to1.py'
model = dict(predictor=dict(diff_input=True, update='residual'))
