# Hierarchical video VQ-VAE + PixelCNN priors (Walker et al. 2021) at 64x64: 3D residual
# encoder/decoder (bottom latent T/2 x H/4 x W/4, top latent T/4 x H/8 x W/8), 512-code EMA
# codebooks (decay 0.99, commitment 0.25, dead codes re-seeded from data); priors: gated PixelCNNs
# (vertical + horizontal stacks), the top one over the whole cube with a temporal stack and
# self-attention every 3 layers, the bottom one per slice; both conditioned on the observed frames
# through a 64-channel conditioning stack. Paper: 4 observed -> 12.
model = dict(
    type='VQVAEVideoPredictor',
    in_channels=1,
    n_past=4,
    n_future=12,
    stage='vqvae',
    vqvae=dict(nh=64, code_dim=32, num_codes=512, num_res=2, decay=0.99, beta=0.25,
               restart_threshold=1.0),
    top_prior=dict(channels=64, num_layers=6, kernel_size=3, temporal_kernel=2, attn_every=3,
                   num_heads=4, temporal_layers=2),
    bottom_prior=dict(channels=64, num_layers=6, kernel_size=3),
    top_window=3,
    bottom_window=2,
    temperature=1.0,
    cond_channels=64,
    num_samples=3,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
