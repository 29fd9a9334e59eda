# SRVP (Franceschi et al. 2020) as the authors train it on stochastic Moving MNIST
# (edouardelasalles/srvp, README: --ny 20 --nz 20 --beta_z 2 --nt_cond 5 --nt_inf 5, and their
# args.py defaults for the rest): DCGAN encoder/decoder with 64 filters and BatchNorm, no skip
# connections, 128-d frame encodings, 256-unit 3-layer inference MLPs, 512-unit 4-layer dynamics
# and prior, one Euler step per frame, residual penalty l2_res = 1, their initialisation (in the
# model). crevdet's loss is theirs divided by the clip length (per frame), which Adam does not see.
model = dict(
    type='SRVP',
    in_channels=1,
    n_past=5,
    n_future=10,
    frame_size=(64, 64),
    nf=64,
    nh=128,
    ny=20,
    nz=20,
    n_inf=5,
    n_content=5,
    inf_hidden=256,
    inf_layers=3,
    mlp_hidden=512,
    mlp_layers=4,
    dt=1.0,
    nu=1.0,
    beta_z=2.0,
    beta_y=1.0,
    l2_res=1.0,
    res_gain=1.41,
    skip=False,
    norm='bn',
    num_samples=5,
    deterministic=False,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
