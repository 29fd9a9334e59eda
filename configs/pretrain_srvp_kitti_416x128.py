# Old name of configs/srvp/srvp_kitti-raw-128x416_4to1.py (SRVP pretrained at detection
# resolution, 128x416 KITTI raw, 4 -> 1), kept so existing commands keep working: it trains into
# work_dirs/pretrain_srvp_kitti_416x128/, which configs/ssd_srvp_kitti.py loads.
_base_ = './srvp/srvp_kitti-raw-128x416_4to1.py'
