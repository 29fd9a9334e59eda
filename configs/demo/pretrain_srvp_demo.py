# tools/demo.py --methods srvp: a small SRVP pretrained on the synthetic KITTI-raw drives exactly
# like pretrain_demo.py (128x416, 4 observed -> 1 predicted, same data, schedule and hook), for
# ssd_srvp_demo.py.
_base_ = ['./pretrain_demo.py']
model = dict(
    _delete_=True,
    type='SRVP',
    in_channels=3,
    n_past=4,
    n_future=1,
    frame_size=(128, 416),
    nf=16,
    nh=64,
    ny=16,
    nz=16,
    n_inf=2,
    n_content=2,
    mlp_hidden=128,
    mlp_layers=3,
    dt=0.5,
    inf_hidden=64,
    inf_layers=2,
    # real video: the authors' KTH / BAIR / Human3.6M presets use skip connections and dt = 1/2
    skip=True,
    num_samples=1,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
