"""What the command-line tools share: ``--cfg-options`` parsing and checking, the config step of
train/test, reading an input video or frame folder, and a fresh output folder per run."""
import contextlib
import difflib
import functools
import glob
import inspect
import os.path as osp
import time
from typing import Callable, List, Optional, Tuple

from mmengine.config import DictAction


class CfgDictAction(DictAction):
    """mmengine's ``--cfg-options`` parser, except that a plain value keeps its spaces
    (mmengine removes every space, so ``data_root='/data/my drive'`` became ``/data/mydrive``)
    and a quoted value is always one string (``'data_root="/data/a,b"'``: mmengine splits it
    at the comma). Lists and tuples (``[1, 2]``, ``a,b``) are parsed as mmengine does."""

    @staticmethod
    def _parse_iterable(val: str):
        plain = val.strip()
        if len(plain) >= 2 and plain[0] == plain[-1] and plain[0] in '\'"':
            return plain[1:-1]  # quoted: always a string, commas and brackets included
        if plain[:1] in ('[', '(') or ',' in plain:
            return DictAction._parse_iterable(val)
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


def _value_at(cfg, dotted: str):
    """The config's current value at ``a.b.c`` (list items by index), or None."""
    node = cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg  # mmengine's Config is no dict
    for part in dotted.split('.'):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def check_cfg_options(cfg, options: dict) -> None:
    """Refuse ``--cfg-options`` that would be silently ignored or mangled: a top-level key the
    config does not have and the runner does not read (a typo such as
    ``trian_dataloader.batch_size``); a top-level string variable such as ``data_root`` that the
    config already copied into its dataloaders when it was read (changing the variable changes
    nothing); a value with a comma (read as a list) where the config holds a string (e.g. a
    path with a comma in its name)."""
    keys = set(cfg.keys())
    for opt, new in options.items():
        old = _value_at(cfg, opt)
        if isinstance(old, str) and isinstance(new, (list, tuple)):
            shown = ','.join(str(v) for v in new)
            raise SystemExit(
                f"error: --cfg-options {opt}={shown}: the comma makes the value a list "
                f"{list(new)!r}, but {opt} is a string in the config ({old!r}); quote the value "
                f"to keep it one string: '{opt}=\"{shown}\"'")
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


def _syntax_error_exit(path: str, e: SyntaxError, what: str) -> SystemExit:
    where = f'{path}:{e.lineno}' if e.lineno else path
    text = f'\n    {e.text.rstrip()}' if e.text and e.text.strip() else ''
    return SystemExit(f'error: {what} {where}: syntax error: {e.msg}{text}')


def read_config(path: str, what: str = 'config'):
    """``Config.fromfile(path)`` for a tool (``path`` may be a ``crevdet::`` name): a missing or
    unreadable file, or a syntax error in
    it or in one of its ``_base_`` files, exits with ``error: <file>:<line>: ...`` (mmengine
    reports syntax errors as ``File "<unknown>"``). Configs are Python and run when read: only
    pass configs you trust (docs/security.md)."""
    import ast
    import re

    from mmengine.config import Config

    path = config_path(path)  # a shipped config by its scoped name: crevdet::pretrain_kitti.py
    if not osp.exists(path):
        raise SystemExit(f'error: {what} file {path!r} does not exist')
    if not osp.isfile(path):
        raise SystemExit(f'error: {what} {path!r} is a folder, not a config file')
    try:
        with open(path, encoding='utf-8') as f:
            ast.parse(f.read(), filename=path)
    except SyntaxError as e:
        raise _syntax_error_exit(path, e, what)
    except (UnicodeDecodeError, OSError) as e:
        raise SystemExit(f'error: cannot read {what} {path} as UTF-8 Python: {e}')
    try:
        return Config.fromfile(path)
    except SyntaxError as e:  # in a _base_ file: find it (mmengine does not always name it)
        m = re.search(r'config file (.+?\.py)', str(e))
        for base in ([m.group(1)] if m else []) + _base_files(path):
            try:
                with open(base, encoding='utf-8') as f:
                    ast.parse(f.read(), filename=base)
            except SyntaxError as inner:
                raise _syntax_error_exit(base, inner, f'base config of {path}')
            except (OSError, UnicodeDecodeError):
                continue
        raise SystemExit(f'error: {what} {path}: {e}')
    except Exception as e:  # noqa: BLE001  mmengine's own checks (duplicate base keys, ...) and
        # errors raised by the config's code: name the file, never a raw traceback
        raise SystemExit(f'error: {what} {path}: {type(e).__name__}: {e}')


def _base_files(path: str, seen=None) -> List[str]:
    """The ``_base_`` files ``path`` inherits from, recursively (relative to each file's folder;
    literal strings only, read without executing anything)."""
    import ast
    seen = set() if seen is None else seen
    out = []
    try:
        with open(path, encoding='utf-8') as f:
            body = ast.parse(f.read()).body
    except (SyntaxError, OSError, UnicodeDecodeError):
        return out
    for node in body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '_base_'
                                                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            for rel in [value] if isinstance(value, str) else list(value):
                base = osp.normpath(osp.join(osp.dirname(path), rel))
                if base not in seen and osp.isfile(base):
                    seen.add(base)
                    out += [base] + _base_files(base, seen)
    return out


def file_in_the_way(path: str) -> Optional[str]:
    """The existing file at ``path`` or above it (no folder can be made there), or None."""
    p = osp.abspath(path)
    while p and not osp.exists(p):
        p = osp.dirname(p) if osp.dirname(p) != p else ''
    return p if p and not osp.isdir(p) else None


def check_work_dir(path: str, flag: str = '--work-dir') -> None:
    """An output folder must not be an existing file (nor lie under one): checked before the
    run, since ``os.makedirs`` would only fail, with a traceback, once it has started."""
    found = file_in_the_way(path)
    if found:
        raise SystemExit(f'error: {flag} {path}: {found} is a file, not a folder')


def check_output_file(path: str, flag: str) -> None:
    """An output file must be a file name (not an existing folder) in a folder that is not an
    existing file, checked before the run rather than when it writes at the end."""
    if osp.isdir(path):
        raise SystemExit(f'error: {flag} {path} is a folder; pass a file name')
    found = file_in_the_way(osp.dirname(osp.abspath(path)))
    if found:
        raise SystemExit(f'error: {flag} {path}: {found} is a file, not a folder, so nothing '
                         'can be written under it')


def read_json_file(path: str, what: str) -> dict:
    """``path`` parsed as a JSON object (``what`` says which file it should be). A file cut short
    (a run killed while writing it), damaged or of another kind exits with one ``error:`` line
    naming it, not a ``JSONDecodeError`` traceback."""
    import json
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit(f'error: {path} is not readable JSON ({e}): cut short or damaged? '
                         f'expected {what}')
    if not isinstance(data, dict):
        raise SystemExit(f'error: {path} holds a JSON {type(data).__name__}; expected {what} '
                         '(a JSON object)')
    return data


_DATASETS_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'datasets') + osp.sep


@contextlib.contextmanager
def dataset_errors():
    """Usable as ``with`` or as a decorator: an ``OSError`` / ``ValueError`` raised by crevdet's
    dataset code (``crevdet/datasets/``) ends a tool with ``error: <its message>``. Those are the
    datasets' checks of the files they read (a split file naming a missing image, a damaged frame
    cache, an unreadable label file), and their messages name the file; a traceback would only
    bury that line. Errors raised anywhere else (a bug included) keep their traceback."""
    try:
        yield
    except (OSError, ValueError) as e:
        tb = e.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        if osp.abspath(tb.tb_frame.f_code.co_filename).startswith(_DATASETS_DIR):
            raise SystemExit(f'error: {e}') from None
        raise


def _load_tool_config_file(args):
    """The config step shared by tools/train.py and tools/test.py: read ``args.config``, apply
    ``--launcher``, ``--cfg-options`` and ``--work-dir`` (default ``./work_dirs/<config name>``)."""
    cfg = read_config(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    check_work_dir(cfg.work_dir, '--work-dir' if args.work_dir is not None else 'work_dir')
    return cfg


def expand_model_files(cfg) -> None:
    """Put the model of every pretraining config (or checkpoint) a backbone names into the
    config (:func:`crevdet.checkpoint.expand_pretrain_configs`; the runner would do it too),
    so a missing or unreadable one is one ``error:`` line naming the key, not a traceback."""
    from crevdet.checkpoint import (CheckpointFileError, UnregisteredTypeError,
                                    expand_pretrain_configs)
    try:
        expand_pretrain_configs(cfg)
    except (FileNotFoundError, ValueError, TypeError, CheckpointFileError,
            UnregisteredTypeError) as e:
        raise SystemExit(f'error: {e}')


def check_checkpoint_arg(path: str, what: str) -> None:
    """Read ``path`` once as the run will (weights-only, crevdet/checkpoint/files.py), so a
    missing, broken or code-carrying file is an ``error:`` line before anything starts."""
    from crevdet.checkpoint.files import CheckpointFileError, load_local_checkpoint
    from crevdet.checkpoint.weights import NonFiniteWeightsError, check_finite_weights
    if '://' in str(path):  # remote: read by mmengine's loaders (weights-only in torch >= 2.6)
        return
    if not osp.exists(path):
        raise SystemExit(f'error: {what} checkpoint {path!r} does not exist')
    try:
        ckpt = load_local_checkpoint(path, 'cpu')
        check_finite_weights(ckpt.get('state_dict', ckpt), path)
    except (CheckpointFileError, NonFiniteWeightsError, FileNotFoundError) as e:
        raise SystemExit(f'error: {what}: {e}')


def _pretrained_inits(node, where: str = 'model'):
    """``(config key, checkpoint)`` of every ``init_cfg=dict(type='Pretrained', ...)`` under a
    model config."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield where + '.checkpoint', node['checkpoint']
        for k, v in node.items():
            yield from _pretrained_inits(v, f'{where}.{k}')
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _pretrained_inits(v, f'{where}.{i}')


def writer_of(checkpoint: str) -> Optional[str]:
    """The config whose ``tools/train.py`` run writes ``checkpoint`` (a file or run folder
    under ``work_dirs/<config name>/``), when one of the repository's configs has that name."""
    from crevdet.paths import REPO_ROOT
    parts = osp.normpath(checkpoint).split(osp.sep)
    if 'work_dirs' not in parts[:-1]:
        return None
    name = parts[parts.index('work_dirs') + 1]
    found = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', '**', f'{name}.py'), recursive=True))
    return osp.relpath(found[0], REPO_ROOT) if found else None


def check_pretrained_checkpoints(cfg) -> None:
    """Every local ``Pretrained`` checkpoint a model config names must exist (a file, or a run
    folder holding one) before a run starts: otherwise one ``error:`` line naming the command
    that writes it and the option that points elsewhere, not a traceback from the Runner."""
    from crevdet.checkpoint.files import newest_run_checkpoint
    for key, ckpt in _pretrained_inits(cfg.get('model') or {}):
        if '://' in str(ckpt):
            continue
        if osp.isdir(ckpt):
            if newest_run_checkpoint(ckpt) is not None:
                continue
            problem = ('holds no readable checkpoint (iter_N.pth / epoch_N.pth): its training '
                       'has not saved one yet')
        elif osp.isfile(ckpt):
            continue
        else:
            problem = 'does not exist'

        writer = writer_of(ckpt)
        how = (f'write it with `python tools/train.py {writer}`' if writer else
               'train the pretraining that writes it')
        raise SystemExit(f'error: the pretraining checkpoint {ckpt} ({key}) {problem}: {how}, '
                         f'or point at another checkpoint with --cfg-options {key}=PATH')


def open_input_frames(path: str, frame_step: int = 1, max_frames: Optional[int] = None,
                      transform: Optional[Callable] = None):
    """A tool's input video or frame folder as a ``datasets.video_folder.FrameReader`` (frames
    read one at a time): a missing, unreadable or wrong kind of input exits with
    ``error: <why>``."""
    from crevdet.datasets.video_folder import FrameReader
    if not isinstance(frame_step, int) or frame_step < 1:
        raise SystemExit(f'error: --frame-step must be an integer >= 1, got {frame_step}')
    if max_frames is not None and max_frames < 1:
        raise SystemExit(f'error: --max-frames must be >= 1, got {max_frames}')
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
    if osp.isfile(out):
        raise SystemExit(f'error: --out-dir {out} is an existing file; pass a new folder')
    if osp.exists(out):
        raise SystemExit(f'error: {out} exists; refusing to overwrite it')
    check_work_dir(out, '--out-dir')
    return out


def finish_distributed() -> None:
    """End a ``--launcher pytorch`` run cleanly: every rank meets, then the process group is
    destroyed. Left to interpreter shutdown, the gloo group's threads can abort a rank
    ("terminate called without an active exception") after a run that succeeded."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def config_path(name: str) -> str:
    """A tool's config argument as a file path: a shipped config's scoped name
    (``crevdet::pretrain_kitti.py``, :func:`crevdet.paths.resolve_config`) resolved, a path
    returned as given. A scoped name that is not a shipped config exits with ``error: <why>``."""
    from crevdet.paths import resolve_config
    try:
        return resolve_config(name)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f'error: {e}')


def load_tool_config(args, *rest, **kwargs):
    """The config step of train/test (:func:`_load_tool_config_file`) for a config given as a
    path or as a shipped config's scoped name (:func:`config_path`): ``args.config`` becomes the
    file's path, so the default work dir is still named after it."""
    args.config = config_path(args.config)
    return _load_tool_config_file(args, *rest, **kwargs)


def exit_on(*errors):
    """Decorator for a tool's ``main``: the library errors ``errors`` (e.g.
    ``crevdet.apis.budget_training.BudgetError``, whose messages name the option) end the tool
    with ``error: <message>``, as the tools' own checks do, instead of a traceback."""
    def decorate(main):
        @functools.wraps(main)
        def run(*args, **kwargs):
            try:
                return main(*args, **kwargs)
            except errors as e:
                raise SystemExit(f'error: {e}')
        return run
    return decorate
