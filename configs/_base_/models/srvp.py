# SRVP (Franceschi et al. 2020) with the paper's Moving MNIST sizes: DCGAN encoder/decoder with
# skip connections, nh=128, ny=nz=20, 4-layer 512-unit MLP dynamics, Euler step dt=1/2.
model = dict(
    type='SRVP',
    in_channels=1,
    n_past=5,
    n_future=10,
    frame_size=(64, 64),
    nf=32,
    nh=128,
    ny=20,
    nz=20,
    n_inf=3,
    n_content=3,
    mlp_hidden=512,
    mlp_layers=4,
    dt=0.5,
    nu=1.0,
    beta_z=1.0,
    beta_y=1.0,
    num_samples=5,
    deterministic=False,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
