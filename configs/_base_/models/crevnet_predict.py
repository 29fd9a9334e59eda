# CrevNet, PREDICTION recipe: for next-frame prediction (Moving MNIST, KITTI raw 10 -> 1).
# Evidence: beats copy-last and the baselines on Moving MNIST at equal budget; on real video it
# stays at copy-last; as a frozen detection backbone it transfers nothing (demo: -1.0 mAP R40
# against the random control). For detection pretraining use crevnet_detect.py.
# Recipe chooser and the figures: docs/user_guides/recipes.md.
# The authors' Moving MNIST autoencoder (squeeze 2, blocks [4, 5, 3], strides [1, 2, 2]) and
# 8 ConvLSTM RPMs; datasets' configs set in_channels / n_past / n_future.
# What deviates from the paper (docs/design/deviations.md, learning curves there): it starts as
# an exact copy-last-frame predictor (zero-initialised couplings, RPM mixing strength
# a = tanh(10 * alpha) with alpha = 0), no normalisation in the couplings and no biases in the
# RPM cells (a bias-free net maps the black background to itself), trained closed loop with
# MSE + L1. The paper's model: autoencoder=dict(norm='gn', zero_init_residual=False),
# predictor=dict(update='convex', bias=True), teacher_forcing=True, loss_l1_weight=0
# (configs/baselines/crevnet_2d_paper_init_mmnist.py).
crevnet_autoencoder = dict(init_squeeze=2, blocks=(4, 5, 3), strides=(1, 2, 2), norm='none',
                           min_mid_channels=16)
crevnet_predictor = dict(num_layers=8, hidden_channels=64, cell='convlstm', bias=False,
                         update='scaled_convex', strength_scale=10.0)
model = dict(
    type='CrevNet',
    in_channels=3,
    n_past=10,
    n_future=1,
    conv_dim=2,
    autoencoder=crevnet_autoencoder,
    predictor=crevnet_predictor,
    teacher_forcing=False,
    loss_l1_weight=1.0,
    reversible_backprop=False,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
