"""What the command-line tools share: ``--cfg-options`` parsing and checking, the config step of
train/test, reading an input video or frame folder, and a fresh output folder per run."""
import difflib
import inspect
import os.path as osp
import time
from typing import Callable, List, Optional, Tuple

from mmengine.config import DictAction


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


def open_input_frames(path: str, frame_step: int = 1, max_frames: Optional[int] = None,
                      transform: Optional[Callable] = None):
    """A tool's input video or frame folder as a ``datasets.video_folder.FrameReader`` (frames
    read one at a time): a missing, unreadable or wrong kind of input exits with
    ``error: <why>``."""
    from crevdet.datasets.video_folder import FrameReader
    try:
        return FrameReader(path, frame_step, max_frames, transform)
    except (OSError, ValueError) as e:
        raise SystemExit(f'error: {e}')


def check_truncated(truncated: Optional[str], allow_truncated: bool = True,
                    what: str = 'going on') -> None:
    """A ``FrameReader.truncated`` note: reported, and ``what`` goes on with the decodable
    frames; or, unless ``allow_truncated``, an exit naming the flag that allows it."""
    if not truncated:
        return
    if not allow_truncated:
        raise SystemExit(f'error: {truncated}; pass --allow-truncated to go on with the '
                         'decodable frames')
    print(f'warning: {truncated}; {what} with the decodable frames')


def read_input_frames(path: str, frame_step: int = 1, max_frames: Optional[int] = None,
                      transform: Optional[Callable] = None, allow_truncated: bool = True,
                      what: str = 'going on') -> Tuple[List, float]:
    """Every frame of :func:`open_input_frames` in a list, and the frame rate; a video whose
    frames do not decode exits with ``error: <why>``, a truncated one goes through
    :func:`check_truncated`."""
    reader = open_input_frames(path, frame_step, max_frames, transform)
    try:
        frames = list(reader)
    except OSError as e:
        raise SystemExit(f'error: {e}')
    check_truncated(reader.truncated, allow_truncated, what)
    return frames, reader.fps


def new_output_dir(out_dir: Optional[str], tool: str, input_path: str) -> str:
    """``out_dir``, or ``work_dirs/<tool>/<input name>_<time>``; an existing folder is refused
    (a run never writes into an earlier one). Not created here: the caller creates it once
    its inputs are checked."""
    name = osp.splitext(osp.basename(osp.normpath(input_path)))[0]
    out = out_dir or osp.join('work_dirs', tool, f'{name}_{time.strftime("%Y%m%d_%H%M%S")}')
    if osp.exists(out):
        raise SystemExit(f'error: {out} exists; refusing to overwrite it')
    return out


def finish_distributed() -> None:
    """End a ``--launcher pytorch`` run cleanly: every rank meets, then the process group is
    destroyed. Left to interpreter shutdown, the gloo group's threads can abort a rank
    ("terminate called without an active exception") after a run that succeeded."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
