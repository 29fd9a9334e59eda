default_scope = 'crevdet'
# lets plain mmengine/mmdet scripts build crevdet types from this config too
custom_imports = dict(imports=['crevdet'], allow_failed_imports=False)
# crevdet's runner (strict weight loading, never-overwrite checkpoint policy, non-finite guard);
# tools/train.py and tools/test.py build whatever runner_type names, mmengine-style
runner_type = 'CrevdetRunner'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=5000, by_epoch=False, max_keep_ckpts=3,
                    save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

# scalars and images (video-prediction grids) go to <work_dir>/<timestamp>/vis_data; TensorBoard
# is opt-in: tools/train.py --tensorboard adds dict(type='TensorboardVisBackend') here
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
# a fixed seed: a resumed run replays the same data order
randomness = dict(seed=0)
