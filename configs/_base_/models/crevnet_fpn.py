# The frozen full-size CrevNet of the DETECTION recipe as the backbone of mmdet's FPN detectors
# (configs/crevnet/{retinanet,faster-rcnn}_crevnet-detect_kitti-416x128.py): its data
# preprocessor and backbone, written once. A detector config inherits its mmdet model and this
# file and sets model.data_preprocessor / model.backbone from these two variables.
num_frames = 4
pretrained = 'work_dirs/crevnet-detect_kitti-raw-128x416_4to1/'
crevnet_fpn_preprocessor = dict(type='MultiFrameDetDataPreprocessor', num_frames=num_frames,
                                mean=[0, 0, 0], std=[255, 255, 255], bgr_to_rgb=True,
                                pad_size_divisor=32)
# _delete_: replaces the mmdet model's ResNet; stages at strides 4 and 8 (+ the mean RPM mask)
crevnet_fpn_backbone = dict(
    _delete_=True, type='CrevNetBackbone', num_frames=num_frames, out_indices=(1, 2),
    gates='mean', frozen=True,
    model='configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py',  # its `model`
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
