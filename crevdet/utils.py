"""Helpers shared by tools and tests."""
import datetime
import difflib
import inspect
import os.path as osp
import warnings

from mmengine import DefaultScope
from mmengine.config import DictAction

# the repository root (crevdet is installed in development mode): shipped configs resolve from it
REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


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


class CfgDictAction(DictAction):
    """mmengine's ``--cfg-options`` parser, except that a plain value keeps its spaces
    (mmengine removes every space, so ``data_root='/data/my drive'`` became ``/data/mydrive``).
    Lists and tuples (``[1, 2]``, ``a,b``) are parsed as mmengine does."""

    @staticmethod
    def _parse_iterable(val: str):
        plain = val.strip()
        if plain[:1] in ('[', '(') or ',' in plain:
            return DictAction._parse_iterable(val)
        if len(plain) >= 2 and plain[0] == plain[-1] and plain[0] in '\'"':
            return plain[1:-1]  # quoted: always a string
        return DictAction._parse_int_float_bool(plain)


# top-level keys the Runner reads (besides those a config already has); ``load_strict`` is crevdet's
_RUNNER_KEYS = None


def _runner_keys() -> set:
    global _RUNNER_KEYS
    if _RUNNER_KEYS is None:
        from mmengine.runner import Runner
        _RUNNER_KEYS = set(inspect.signature(Runner.__init__).parameters) | {
            'runner_type', 'launcher', 'load_strict', 'auto_scale_lr', 'custom_imports'}
    return _RUNNER_KEYS


def _paths_holding(node, value, path=''):
    """Dotted paths of the strings in ``node`` that start with ``value``."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = enumerate(node)
    else:
        return [path] if isinstance(node, str) and node.startswith(value) else []
    return [p for k, v in items for p in _paths_holding(v, value, f'{path}{k}.')]


def check_cfg_options(cfg, options: dict) -> None:
    """Refuse ``--cfg-options`` that would be silently ignored: a top-level key the config does
    not have and the runner does not read (a typo such as ``trian_dataloader.batch_size``), or a
    top-level string variable such as ``data_root`` that the config already copied into its
    dataloaders when it was read (changing the variable changes nothing)."""
    keys = set(cfg.keys())
    for opt in options:
        top = opt.split('.', 1)[0]
        if top not in keys and top not in _runner_keys():
            close = difflib.get_close_matches(top, sorted(keys | _runner_keys()), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ''
            raise SystemExit(f"error: --cfg-options {opt}=...: the config has no top-level key "
                             f"'{top}' and the runner does not read one{hint}")
        value = cfg.get(top) if '.' not in opt and top not in _runner_keys() else None
        users = [p.rstrip('.') for k, v in cfg.items() if k != top
                 for p in _paths_holding(v, value, f'{k}.')] \
            if isinstance(value, str) and len(value) > 2 else []
        if users:
            raise SystemExit(
                f"error: --cfg-options {opt}=... changes only the variable '{top}'; the config "
                f"already copied its value into {', '.join(users[:6])}"
                f"{' ...' if len(users) > 6 else ''} when it was read. Set those instead.")


def load_tool_config(args):
    """The config step shared by tools/train.py and tools/test.py: read ``args.config``, apply
    ``--launcher``, ``--cfg-options`` and ``--work-dir`` (default ``./work_dirs/<config name>``)."""

    from mmengine.config import Config
    if not osp.isfile(args.config):
        raise SystemExit(f'error: config file {args.config!r} does not exist')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
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
