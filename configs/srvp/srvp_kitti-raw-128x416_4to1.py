# SRVP pretrained at detection resolution (128x416 KITTI raw, 4 -> 1) for
# ssd_srvp_kitti-416x128.py: the data, schedule and benchmark hook of CrevNet's detection
# pretraining (../crevnet/crevnet-detect_kitti-raw-128x416_4to1.py), SRVP's model.
# Until 2026-12 configs/pretrain_srvp_kitti_416x128.py (kept as an alias).
_base_ = '../crevnet/crevnet-detect_kitti-raw-128x416_4to1.py'
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
