# The design card's first command: pretrain CrevNet for detection on KITTI raw (the DETECTION
# recipe at the detector's size, configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py), into
# work_dirs/pretrain_kitti/. configs/ssd_crevnet_kitti.py then loads that run's newest checkpoint:
#   python tools/train.py configs/pretrain_kitti.py
#   python tools/train.py configs/ssd_crevnet_kitti.py
#   python tools/test.py configs/ssd_crevnet_kitti.py work_dirs/ssd_crevnet_kitti/
# Data: KITTI raw under data/kitti_raw/ (docs/user_guides/dataset_prepare.md). Until 2026-12-07
# this name was the 128x160 prediction benchmark config, now
# configs/crevnet/crevnet-predict_kitti-raw-128x160_10to1.py.
_base_ = './crevnet/crevnet-detect_kitti-raw-128x416_4to1.py'
