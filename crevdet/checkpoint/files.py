"""Checkpoint loading policy: **every** checkpoint crevdet reads goes through torch's weights-only
unpickler, resume included, so a file dropped into a work dir or handed to a user cannot run code.

mmengine 0.10.7 calls ``torch.load(file)`` itself; crevdet routes local paths through
:func:`load_local_checkpoint` (mmengine's public ``CheckpointLoader.register_scheme``, installed
explicitly by :func:`install_checkpoint_loader`, which ``register_all_modules()`` and
``CrevdetRunner.from_cfg`` call; importing crevdet changes nothing in mmengine, nothing in
site-packages is modified). That loader allows, besides tensors and plain data:

* numpy's array / scalar / dtype reconstruction (plain data, e.g. the ETA float in the message
  hub), and
* the two things mmengine's resume state holds that are not plain data, each mapped to a
  stand-in that only rebuilds data: ``HistoryBuffer`` (-> :class:`_HistoryBufferData`, which keeps
  the logged arrays and drops the rest of the pickled state) and the ``getattr(HistoryBuffer,
  'min' | 'max' | 'current' | 'mean')`` calls its state pickles through
  (-> :func:`_history_statistic`, which returns those four methods and refuses anything else).
  The real ``getattr`` or any other generic callable is never allowed.

So ``--resume`` of a plain-mmengine or older crevdet run, ``load_from``, ``init_cfg``/
``pretrained``, ``tools/test.py`` and every other tool read the same way, and no config key or
environment variable switches to a full unpickle. crevdet's own runs additionally store the
message hub as plain data (:class:`~crevdet.engine.hooks.PortableCheckpointHook`).

A file that cannot be loaded gets an error naming what is wrong with it (empty, truncated, not
written by ``torch.save``, holding code, not a dict). Writing is atomic (:func:`atomic_save_path`:
a temp file in the same folder, renamed when complete), and :func:`plan_run_dir` is
``tools/train.py``'s choice of the checkpoint ``--resume`` continues from: the newest *readable*
``iter_N``/``epoch_N`` file found by scanning the work dir (``last_checkpoint`` is not trusted: it
may be stale after a crash, or name a file in another folder).
"""
import glob
import os
import os.path as osp
import pickle
import re
import zipfile
from typing import List, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader


def _numpy_globals() -> list:
    core = getattr(np, '_core', None) or np.core
    out = [np.ndarray, np.dtype, core.multiarray._reconstruct, core.multiarray.scalar]
    # numpy >= 1.25 pickles dtypes as instances of their dtype classes (np.dtypes.Float64DType...)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        out += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return out


class _HistoryBufferData(HistoryBuffer):
    """What the loader builds where a checkpoint pickled an mmengine ``HistoryBuffer``.

    ``HistoryBuffer.__setstate__`` merges the pickled ``statistics_methods`` (functions) into the
    class-wide table and copies any other pickled attribute onto the object; this stand-in keeps
    only the logged values, counts and max length, checked to be numbers. It is converted back
    to a plain ``HistoryBuffer`` after loading (:func:`_restore_history_buffers`)."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise pickle.UnpicklingError('HistoryBuffer state is not a dict')
        log, count = state.get('_log_history'), state.get('_count_history')
        max_length = state.get('max_length', 1000000)
        for name, arr in (('_log_history', log), ('_count_history', count)):
            if not isinstance(arr, np.ndarray) or arr.dtype.kind not in 'biuf':
                raise pickle.UnpicklingError(f'HistoryBuffer {name} is not a numeric array')
        if not isinstance(max_length, int):
            raise pickle.UnpicklingError('HistoryBuffer max_length is not an int')
        HistoryBuffer.__init__(self, log, count, max_length)


# the statistics HistoryBuffer registers itself; its pickled state names them through getattr
_HISTORY_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_statistic(owner, name):
    """Stands for ``builtins.getattr`` while loading: only ``getattr(HistoryBuffer, <one of its
    four default statistics>)``, as mmengine's message hub pickles them (protocol 2)."""
    if owner is _HistoryBufferData and name in _HISTORY_STATISTICS:
        return getattr(HistoryBuffer, name)
    shown = 'HistoryBuffer' if owner is _HistoryBufferData else getattr(
        owner, '__name__', type(owner).__name__)
    raise pickle.UnpicklingError(f'getattr({shown}, {name!r}) is not allowed (only the '
                                 'HistoryBuffer statistics min/max/current/mean)')


# torch.serialization.safe_globals entries: objects, or (stand-in, 'module.name it replaces')
CHECKPOINT_SAFE_GLOBALS = _numpy_globals() + [
    (_HistoryBufferData, 'mmengine.logging.history_buffer.HistoryBuffer'),
    (_history_statistic, 'builtins.getattr'),
]


def _restore_history_buffers(checkpoint) -> None:
    """Turn the loader's :class:`_HistoryBufferData` stand-ins back into ``HistoryBuffer``s."""
    hub = checkpoint.get('message_hub') if isinstance(checkpoint, dict) else None
    scalars = hub.get('log_scalars') if isinstance(hub, dict) else None
    if not isinstance(scalars, dict):
        return
    for key, buf in list(scalars.items()):
        if type(buf) is _HistoryBufferData:
            log, count = buf.data
            scalars[key] = HistoryBuffer(log, count, buf.max_length)


class CheckpointFileError(RuntimeError):
    """A file that is not a readable checkpoint (empty, truncated, not from ``torch.save``,
    holding code or not a dict)."""


# the first object torch.save's legacy (pre-1.6, non-zip) format pickles
_LEGACY_TORCH_MAGIC = 0x1950a86a20f9469cfc6c


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module, name):  # reading a header must never import anything
        raise pickle.UnpicklingError(f'global {module}.{name}')


def checkpoint_file_problem(filename: str) -> Optional[str]:
    """What makes ``filename`` unreadable as a ``torch.save`` file, or None when its container is
    intact (a zip archive whose members all pass their CRC check, or the legacy pickle format).
    Reads the file, never unpickles anything but the legacy header's integer."""
    size = osp.getsize(filename)
    if size == 0:
        return 'empty (0 bytes): the save was interrupted'
    with open(filename, 'rb') as f:
        head = f.read(4)
    if head == b'PK\x03\x04':  # torch.save's zip container
        try:
            with zipfile.ZipFile(filename) as z:
                bad = z.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            return (f'truncated or corrupt ({size} bytes; {e}): the save was probably '
                    'interrupted (killed process, full disk)')
        return f'corrupt (member {bad} fails its CRC check)' if bad else None
    if head[:1] == b'\x80':  # a pickle: torch's legacy format starts with its magic number
        try:
            with open(filename, 'rb') as f:
                magic = _NoGlobals(f).load()
        except Exception:
            magic = None
        if magic == _LEGACY_TORCH_MAGIC:
            return None
        return 'a plain pickle file, not a checkpoint written by torch.save'
    return f'not a PyTorch checkpoint (it starts with bytes {head!r}, not a zip or pickle header)'


def _refusal_reason(error: Exception) -> str:
    """The line of torch's weights-only error that names what was refused."""
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    for ln in lines:
        if any(k in ln for k in ('GLOBAL', 'Trying to', 'Can only', 'not allowed', 'blocked')):
            return ln[:300]
    return (lines[-1] if lines else type(error).__name__)[:300]


def newest_run_checkpoint(run_dir: str) -> Optional[str]:
    """The newest readable ``iter_N`` / ``epoch_N`` checkpoint of a run folder, weights alone
    enough (:func:`find_resumable_checkpoint`'s search without the training state), or None."""
    return find_resumable_checkpoint(run_dir, training_state=False)[0]


def resolve_checkpoint(path: str) -> str:
    """``path`` itself, or for a run folder (``work_dirs/<config>/``) its newest readable
    checkpoint; a folder without one is a ``FileNotFoundError`` naming it."""
    path = osp.expanduser(path)
    if not osp.isdir(path):
        return path
    found = newest_run_checkpoint(path)
    if found is None:
        raise FileNotFoundError(f'run folder {path} holds no readable checkpoint (iter_N.pth / '
                                'epoch_N.pth): its training has not saved one yet')
    print_log(f'{path}: loading its newest checkpoint {found}', logger='current')
    return found


def load_local_checkpoint(filename: str, map_location=None):
    """``torch.load`` with crevdet's policy (see module docstring): weights-only, the allowlist
    :data:`CHECKPOINT_SAFE_GLOBALS`; the result must be a dict (a state dict or mmengine's
    ``{'state_dict': ..., 'meta': ...}``). Every refusal is a :class:`CheckpointFileError`
    naming the file. A run folder stands for its newest checkpoint
    (:func:`resolve_checkpoint`)."""
    filename = resolve_checkpoint(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    problem = checkpoint_file_problem(filename)
    if problem is not None:
        advice = ('use an earlier checkpoint of the same run ("--resume" picks the newest '
                  'readable one by itself)' if 'interrupted' in problem else
                  'pass the .pth file that tools/train.py or publish_model.py wrote')
        raise CheckpointFileError(f'checkpoint {filename} is {problem}; {advice}')
    try:
        with torch.serialization.safe_globals(CHECKPOINT_SAFE_GLOBALS):
            checkpoint = torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:  # torch's weights-only refusal (or a damaged pickle)
        raise CheckpointFileError(
            f'checkpoint {filename} holds objects other than tensors, plain data and mmengine '
            f'training state ({_refusal_reason(e)}). crevdet reads every checkpoint with '
            "torch's weights-only unpickler (weights_only=True) and never runs code from one, "
            'so it refuses this file. Use a checkpoint written by tools/train.py or '
            'tools/model_converters/publish_model.py, from a source you trust.') from e
    if not isinstance(checkpoint, dict):
        raise CheckpointFileError(
            f'checkpoint {filename} holds a {type(checkpoint).__name__}, not a dict: expected a '
            "state dict or mmengine's {'state_dict': ..., 'meta': ...}")
    _restore_history_buffers(checkpoint)
    return checkpoint


def install_checkpoint_loader() -> None:
    """Route mmengine's loading of local paths through :func:`load_local_checkpoint`."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)


# ----------------------------------------------------------------------------- saving
_PARTIAL = '.saving-'


def partial_save_name(filename: str) -> str:
    """The temp name a checkpoint is written under before it is complete: hidden, never an
    ``iter_N.pth`` name, unique per process (``.iter_4.pth.saving-<pid>``)."""
    return f'.{filename}{_PARTIAL}{os.getpid()}'


def finish_save(partial: str, final: str) -> None:
    """Make the complete file ``partial`` visible as ``final`` in one step: flushed to disk,
    then ``os.replace`` (atomic within a folder), so a crash leaves either the old state or the
    whole new file, never a truncated ``final``."""
    with open(partial, 'rb') as f:
        os.fsync(f.fileno())
    os.replace(partial, final)


def partial_saves(work_dir: str) -> List[str]:
    """Temp files of saves that never completed (the process died while writing)."""
    return sorted(glob.glob(osp.join(glob.escape(work_dir), f'.*.pth{_PARTIAL}*')))


# ----------------------------------------------------------------------------- resuming
_STEP_RE = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


def checkpoint_step(path: str) -> Optional[Tuple[str, int]]:
    """``('iter', 8)`` for ``.../iter_8.pth`` (mmengine's CheckpointHook names), else None."""
    m = _STEP_RE.match(osp.basename(path))
    return (m.group(1), int(m.group(2))) if m else None


def _run_checkpoints(work_dir: str) -> List[str]:
    """The ``iter_N`` / ``epoch_N`` checkpoints of ``work_dir``, oldest step first."""
    return sorted((p for p in glob.glob(osp.join(glob.escape(work_dir), '*.pth'))
                   if checkpoint_step(p) and osp.isfile(p)), key=checkpoint_step)


def _inside(path: str, folder: str) -> bool:
    return osp.dirname(osp.realpath(path)) == osp.realpath(folder)


def _recorded_checkpoint(work_dir: str) -> Optional[str]:
    """The file ``last_checkpoint`` names, or None (no record, empty, unreadable text)."""
    record = osp.join(work_dir, 'last_checkpoint')
    try:
        with open(record, encoding='utf-8') as f:
            named = f.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return (named if osp.isabs(named) else osp.join(work_dir, named)) if named else None


#: what mmengine's resume reads besides the weights (optimizer and schedulers are optional)
TRAINING_STATE = ('meta', 'message_hub')


def training_state_problem(filename: str) -> Optional[str]:
    """None when the readable checkpoint ``filename`` holds the training state a resume
    needs; else what it is (weights only: a published or converted checkpoint)."""
    try:
        checkpoint = load_local_checkpoint(filename, map_location='cpu')
    except (CheckpointFileError, OSError):
        return None  # not readable weights-only at all: the caller's own read refuses it
    missing = [k for k in TRAINING_STATE if k not in checkpoint]
    if missing:
        return (f'weights only (no {" / ".join(missing)}: a published or converted checkpoint, '
                'not one that tools/train.py saves while training)')
    return None


def find_resumable_checkpoint(work_dir: str, weights_only: Optional[list] = None,
                              training_state: bool = True
                              ) -> Tuple[Optional[str], List[Tuple[str, str]]]:
    """The checkpoint ``--resume`` continues from: the newest *readable* ``iter_N`` /
    ``epoch_N`` file of ``work_dir``, found by scanning the folder. ``last_checkpoint`` is not
    trusted (a crash between a save and its record leaves it stale; a copied work dir's names a
    file in another folder); only when no standard name is readable is a file it names used,
    and only if that file is inside ``work_dir``.

    Returns ``(path or None, [(unreadable path, problem), ...])``: the newer files skipped, all
    inside ``work_dir``, for the caller to report. Readable files without training state
    (:func:`training_state_problem`) are passed over too and appended to ``weights_only`` as
    ``(path, problem)``; they are not unreadable, so they are kept as they are.
    ``training_state=False``: any readable checkpoint will do (the weights are what is wanted).
    """
    def state_problem(path):
        return training_state_problem(path) if training_state else None

    skipped = []
    for path in _run_checkpoints(work_dir)[::-1]:
        problem = checkpoint_file_problem(path)
        if problem is None:
            state = state_problem(path)
            if state is None:
                return path, skipped
            if weights_only is not None:
                weights_only.append((path, state))
            continue
        skipped.append((path, problem))
    named = _recorded_checkpoint(work_dir)
    if named and osp.isfile(named) and _inside(named, work_dir) and \
            checkpoint_file_problem(named) is None and state_problem(named) is None:
        return named, skipped
    return None, skipped


def _load_from_hint(path: str) -> str:
    return (f'to start a new run from its weights, train into a new --work-dir with '
            f'--cfg-options load_from={path}')


def _set_aside(path: str) -> str:
    """Rename an unreadable checkpoint of the run's own work dir to ``<name>.unreadable`` (a
    free name: an earlier one is never replaced) so the resumed run cannot overwrite it."""
    keep, n = path + '.unreadable', 1
    while osp.exists(keep):
        keep, n = f'{path}.unreadable-{n}', n + 1
    if int(os.environ.get('RANK', '0')) == 0:
        os.rename(path, keep)
    return keep


def plan_run_dir(work_dir: str, resume: Optional[str]) -> Optional[str]:
    """``tools/train.py``'s rule that a run never overwrites another run: returns the checkpoint to
    resume from (None for a new run) or raises ``SystemExit`` with what to do instead.

    * new run (``resume`` None): ``work_dir`` must not hold a run's checkpoints yet;
    * ``resume='auto'``: the newest *readable* checkpoint of ``work_dir``
      (:func:`find_resumable_checkpoint`); nothing to resume is an error;
    * ``resume=PATH``: PATH must be a readable checkpoint, and resuming must not overwrite later
      readable checkpoints already in ``work_dir``.

    Unreadable checkpoints newer than the one resumed (a save killed half-way by an older
    mmengine or crevdet, or a copy cut short) are reported and renamed ``<name>.unreadable``
    inside ``work_dir``; nothing outside ``work_dir`` is ever renamed, moved or written.
    """
    if osp.exists(work_dir) and not osp.isdir(work_dir):
        raise SystemExit(f'error: --work-dir {work_dir} is a file, not a folder; pass a folder '
                         '(a new one for a new run)')
    existing = _run_checkpoints(work_dir)
    record = osp.join(work_dir, 'last_checkpoint')
    if resume is None:
        if existing or osp.isfile(record):
            names = ', '.join(osp.basename(p) for p in existing[-3:]) or 'last_checkpoint'
            raise SystemExit(f'error: work dir {work_dir} already holds a run ({names}); pass '
                             '--resume to continue it, or --work-dir with a new folder for a new '
                             'run (a run never overwrites another)')
        return None
    weights_only: List[Tuple[str, str]] = []
    if resume == 'auto':
        path, skipped = find_resumable_checkpoint(work_dir, weights_only)
        if path is None:
            if weights_only:
                p, why = weights_only[0]
                raise SystemExit(f'error: --resume: no checkpoint in {work_dir} holds training '
                                 f'state: {osp.basename(p)} is {why}; {_load_from_hint(p)}')
            if skipped:
                raise SystemExit(f'error: --resume: no readable checkpoint in {work_dir}: ' +
                                 '; '.join(f'{osp.basename(p)} is {why}' for p, why in skipped))
            raise SystemExit(f'error: --resume: nothing to resume in {work_dir} (no readable '
                             'iter_N.pth / epoch_N.pth); drop --resume to start a new run there')
        named = _recorded_checkpoint(work_dir)
        if named and not _inside(named, work_dir):
            print(f'warning: --resume: last_checkpoint names {named}, outside {work_dir} (a '
                  f'copied work dir?); ignored: resuming from {path}, found in the folder',
                  flush=True)
    else:
        path = resume
        if not osp.isfile(path):
            raise SystemExit(f'error: --resume checkpoint {path!r} does not exist')
        problem = checkpoint_file_problem(path)
        if problem is not None:
            good, _ = find_resumable_checkpoint(osp.dirname(path) or '.')
            hint = f'; the newest readable checkpoint there is {good}' if good else ''
            raise SystemExit(f'error: --resume checkpoint {path} is {problem}{hint}')
        state = training_state_problem(path)
        if state is not None:
            raise SystemExit(f'error: --resume checkpoint {path} is {state}; '
                             f'{_load_from_hint(path)}')
        skipped = []
    step = checkpoint_step(path)
    later = [p for p in existing if step and checkpoint_step(p)[0] == step[0]
             and checkpoint_step(p)[1] > step[1] and osp.realpath(p) != osp.realpath(path)]
    passed = {osp.realpath(p): why for p, why in weights_only}
    for p in later:
        if osp.realpath(p) in passed:
            raise SystemExit(f'error: --resume: {p} is {passed[osp.realpath(p)]}; resuming from '
                             f'{path} would overwrite it. Move it out of {work_dir} to keep it '
                             f'and resume, or {_load_from_hint(p)}')
    if any(checkpoint_file_problem(p) is None for p in later):
        raise SystemExit(f'error: resuming from {path} in {work_dir} would overwrite its later '
                         f'checkpoints ({", ".join(osp.basename(p) for p in later)}); resume into '
                         'a new --work-dir instead')
    known = {osp.realpath(p) for p, _ in skipped}
    skipped += [(p, checkpoint_file_problem(p)) for p in later if osp.realpath(p) not in known]
    for bad, why in skipped:
        if not _inside(bad, work_dir):  # never touch another folder's files
            continue
        keep = _set_aside(bad)
        print(f'warning: --resume skips {bad}: it is {why}; kept as {osp.basename(keep)}. '
              f'Resuming from the newest readable checkpoint {path}', flush=True)
    for p, why in weights_only:
        print(f'warning: --resume passes over {p}: it is {why}; kept as it is. Resuming from '
              f'{path}, the newest checkpoint with training state', flush=True)
    for partial in partial_saves(work_dir):
        print(f'warning: --resume: {osp.basename(partial)} is left from a save that never '
              'completed (the process died while writing it); it is not used and kept as it is',
              flush=True)
    return path
