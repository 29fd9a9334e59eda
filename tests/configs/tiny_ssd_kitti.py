# configs/ssd_crevnet_kitti_random.py shrunk to seconds: tiny CrevNet, 1 epoch, batch 2.
# Data folder (the KITTI object layout root) from the CREVDET_TEST_DATA environment variable.
_base_ = '../../configs/ssd_crevnet_kitti_random.py'
data_root = '{{$CREVDET_TEST_DATA:data/kitti/object/}}'
tiny_crevnet = dict(in_channels=3, n_past=3, n_future=1,
                    autoencoder=dict(init_squeeze=2, blocks=(1, 1, 1), strides=(1, 2, 2),
                                     norm='none'),
                    predictor=dict(num_layers=2, hidden_channels=8, cell='convlstm',
                                   bias=False, update='scaled_convex'))
# a model dict instead of the base's pretraining-config path: the backbone takes either
model = dict(backbone=dict(model=dict(_delete_=True, **tiny_crevnet)))
_loader = dict(batch_size=2, num_workers=0, persistent_workers=False)
train_dataloader = dict(**_loader, dataset=dict(data_root=data_root))
val_dataloader = dict(**_loader, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
