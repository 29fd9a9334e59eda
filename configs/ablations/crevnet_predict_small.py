# The PREDICTION recipe (configs/_base_/models/crevnet_predict.py) at the demo's small size
# (2-2-2 coupling blocks, 4 RPMs of 32 channels), for the real-video check where both recipes
# are trained the same way (docs/benchmarks/real_video.md); its detection-recipe twin is
# configs/demo/pretrain_demo.py.
_base_ = '../crevnet/crevnet-predict_kitti-raw-128x160_10to1.py'
model = dict(autoencoder=dict(blocks=(2, 2, 2)),
             predictor=dict(num_layers=4, hidden_channels=32))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
