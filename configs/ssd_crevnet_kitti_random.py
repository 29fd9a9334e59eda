# Control for ssd_crevnet_kitti.py: the same detector and schedule, CrevNet randomly initialised
# and frozen. The AP gap between the two is what video-prediction pretraining bought.
_base_ = ['_base_/models/ssd_crevnet.py', '_base_/datasets/kitti_det.py',
          '_base_/schedules/det_adam.py', '_base_/det_runtime.py']
