# SRVP pretrained at detection resolution (128x416 KITTI raw, 4 -> 1) for configs/ssd_srvp_kitti.py.
_base_ = './pretrain_kitti_416x128.py'
model = dict(
    _delete_=True,
    type='SRVP',
    in_channels=3,
    n_past=4,
    n_future=1,
    frame_size=(128, 416),
    nf=32,
    nh=128,
    ny=32,
    nz=32,
    n_inf=2,
    n_content=2,
    dt=0.5,
    inf_hidden=128,
    inf_layers=2,
    # real video: the authors' KTH / BAIR / Human3.6M presets use skip connections and dt = 1/2
    skip=True,
    num_samples=1,
    data_preprocessor=dict(type='VideoDataPreprocessor'))
