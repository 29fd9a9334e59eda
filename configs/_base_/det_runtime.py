# Runtime of the detection configs: crevdet's default runtime, epoch-based, with mmdet's
# detection visualiser (tools/test.py --show-dir draws boxes through it).
_base_ = './default_runtime.py'
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=1, by_epoch=True),
    visualization=dict(type='DetVisualizationHook'))
visualizer = dict(type='DetLocalVisualizer')
log_processor = dict(window_size=20, by_epoch=True)
