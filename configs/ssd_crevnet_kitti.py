# The design card's second command: SSD on the frozen CrevNet that configs/pretrain_kitti.py
# pretrains (the detection recipe: configs/crevnet/ssd_crevnet-detect_kitti-416x128.py), loading
# the newest checkpoint of that run's folder, work_dirs/pretrain_kitti/ (whatever its iteration:
# a run stopped early or given another max_iters works too). Another checkpoint:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = './crevnet/ssd_crevnet-detect_kitti-416x128.py'
model = dict(backbone=dict(
    model='configs/pretrain_kitti.py',
    init_cfg=dict(checkpoint='work_dirs/pretrain_kitti/')))  # a run folder: its newest checkpoint
