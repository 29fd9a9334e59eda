# CrevNet, DETECTION recipe: pretraining whose frozen features and attention masks a detector
# learns from. The authors' autoencoder (squeeze 2, blocks [4, 5, 3], strides [1, 2, 2]) with the
# paper's random GroupNorm couplings, and 8 motion-only ConvLSTM RPMs: each RPM's cell sees only
# the temporal difference of its input half (diff_input='only') and mixes with the scaled convex
# update x2' = x2 + a g (hp - x2), a = tanh(10 alpha), alpha = 0 at the start. So an untrained
# model is still exactly copy-last (bijective autoencoder, identity RPMs), a still region gets no
# update whatever the weights, and the masks a * g a detector sees are exactly zero until
# pretraining opens them.
# Evidence (docs/benchmarks/detection_transfer.md): the demo at small size, moving camera, beats
# a random frozen backbone, the same with hand-made frame-difference masks, and the same detector
# trained end to end from scratch; margin against pretraining iterations there. As a predictor on
# real video (docs/benchmarks/real_video.md) it is compared with copy-last on clips no choice
# looked at. Recipe chooser: docs/user_guides/recipes.md.
_base_ = './crevnet_predict.py'
model = dict(
    autoencoder=dict(norm='gn', zero_init_residual=False),
    predictor=dict(diff_input='only'))
