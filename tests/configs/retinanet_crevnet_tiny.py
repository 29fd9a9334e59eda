# A plain mmdet config (scope 'mmdet'): a stock RetinaNet whose backbone is crevdet's
# CrevNetBackbone (tiny, random weights), reached through custom_imports + 'crevdet.' type names.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['crevdet'], allow_failed_imports=False)
model = dict(
    data_preprocessor=dict(type='crevdet.MultiFrameDetDataPreprocessor', num_frames=4,
                           mean=[0.0] * 3, std=[255.0] * 3, bgr_to_rgb=False),
    backbone=dict(
        _delete_=True,
        type='crevdet.CrevNetBackbone',
        num_frames=4,
        model=dict(in_channels=3, n_past=3, n_future=1, autoencoder=dict(blocks=(1, 1, 1)),
                   predictor=dict(num_layers=2, hidden_channels=8)),
        out_indices=(0, 1, 2)),
    neck=dict(in_channels=[12, 48, 192 + 96], start_level=1, num_outs=3),
    bbox_head=dict(num_classes=3, anchor_generator=dict(strides=[4, 8, 16])))
