"""Helpers shared by tools and tests."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every crevdet module so it is registered, and (optionally) make ``crevdet`` the
    default scope, as mmdet's ``register_all_modules`` does."""
    import crevdet.datasets  # noqa: F401
    import crevdet.engine  # noqa: F401
    import crevdet.evaluation  # noqa: F401
    import crevdet.models  # noqa: F401
    import crevdet.visualization  # noqa: F401
    from mmdet.utils import register_all_modules as mmdet_register
    mmdet_register(init_default_scope=False)
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'crevdet':
        if current is not None:
            warnings.warn(f'The current default scope "{current.scope_name}" is not "crevdet"; '
                          '`register_all_modules` makes a new one named "crevdet-<time>".')
            name = f'crevdet-{datetime.datetime.now()}'
        else:
            name = 'crevdet'
        DefaultScope.get_instance(name, scope_name='crevdet')


def load_tool_config(args):
    """The config step shared by tools/train.py and tools/test.py: read ``args.config``, apply
    ``--launcher``, ``--cfg-options`` and ``--work-dir`` (default ``./work_dirs/<config name>``)."""
    import os.path as osp

    from mmengine.config import Config
    if not osp.isfile(args.config):
        raise SystemExit(f'error: config file {args.config!r} does not exist')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def set_protocol(model_cfg, in_channels: int, n_past: int, n_future: int, frame_size) -> None:
    """Point a predictor's ``model`` config at another data protocol (in place): channels,
    observed / predicted frames and, for models with size-dependent layers (SRVP), the frame
    size. Shared by the benchmark and ablation tools."""
    model_cfg.update(in_channels=in_channels, n_past=n_past, n_future=n_future)
    if 'frame_size' in model_cfg:
        model_cfg['frame_size'] = tuple(frame_size)
