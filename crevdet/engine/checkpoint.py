"""Checkpoint loading policy under torch >= 2.6 (``torch.load`` defaults to ``weights_only=True``).

mmengine 0.10.7 calls ``torch.load(file)`` without ``weights_only``; its own checkpoints hold the
message hub (``HistoryBuffer`` objects, which pickle through ``getattr``), which the weights-only
unpickler rejects ("Weights only load failed"). crevdet's policy:

* **Every local checkpoint** (``load_from``, ``init_cfg=dict(type='Pretrained')``, test
  checkpoints) is loaded with ``weights_only=True``. The only extra globals allowed are numpy's
  array/scalar reconstruction (plain data); never ``getattr`` or other callables, and only inside
  that one call. crevdet's own runs write checkpoints that pass this check
  (:class:`~crevdet.engine.hooks.PortableCheckpointHook` stores the message hub as plain data).
* **Resuming** (``--resume``) loads the user's own run in full (``weights_only=False``) inside
  :func:`trusted_checkpoints`, scoped to the resume call only — so runs started before that hook
  existed, or by plain mmengine, can still be continued.

The loader is installed through mmengine's public ``CheckpointLoader.register_scheme`` for local
paths, explicitly: :func:`install_checkpoint_loader`, which ``register_all_modules()`` and
``CrevdetRunner.from_cfg`` call (importing crevdet changes nothing in mmengine); nothing in
site-packages is modified. The trust of :func:`trusted_checkpoints` is a context variable of this
process (never an environment variable, which child processes would inherit).

A file that cannot be loaded gets an error naming what is wrong with it (empty, truncated, not
written by ``torch.save``, or holding code objects), each with its own advice;
:func:`find_resumable_checkpoint` is ``--resume``'s choice of the newest *readable* checkpoint.
"""
import contextlib
import contextvars
import glob
import os
import os.path as osp
import pickle
import re
import zipfile
from typing import Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine.runner.checkpoint import CheckpointLoader

# set only inside trusted_checkpoints(); a context variable, so no other thread or process sees it
_TRUSTED = contextvars.ContextVar('crevdet_trusted_checkpoints', default=False)


def _numpy_globals() -> list:
    core = getattr(np, '_core', None) or np.core
    out = [np.ndarray, np.dtype, core.multiarray._reconstruct, core.multiarray.scalar]
    # numpy >= 1.25 pickles dtypes as instances of their dtype classes (np.dtypes.Float64DType...)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        out += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return out


CHECKPOINT_SAFE_GLOBALS = _numpy_globals()


@contextlib.contextmanager
def trusted_checkpoints() -> Iterator[None]:
    """Inside this block local checkpoints are loaded in full (``weights_only=False``). Use only for
    files the user produced (``--resume``)."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


class CheckpointFileError(RuntimeError):
    """A file that is not a readable checkpoint (empty, truncated, not from ``torch.save``)."""


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


def load_local_checkpoint(filename: str, map_location=None, trusted: bool = False):
    """``torch.load`` with crevdet's policy (see module docstring); ``trusted=True`` (or a call
    inside :func:`trusted_checkpoints`) loads the file in full: only for the user's own runs."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    problem = checkpoint_file_problem(filename)
    if problem is not None:
        advice = ('use an earlier checkpoint of the same run ("--resume" picks the newest '
                  'readable one by itself)' if 'interrupted' in problem else
                  'pass the .pth file that tools/train.py or publish_model.py wrote')
        raise CheckpointFileError(f'checkpoint {filename} is {problem}; {advice}')
    if trusted or _TRUSTED.get():
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(CHECKPOINT_SAFE_GLOBALS):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except Exception as e:  # the pickle error names the rejected global
        raise RuntimeError(
            f'crevdet loads checkpoints with weights_only=True and {filename} holds objects '
            f'outside the allowed data types ({str(e).splitlines()[0][:300]}). If this is your own '
            "training run, continue it with '--resume', or strip it to its weights with "
            "'python tools/model_converters/publish_model.py'.") from e


def install_checkpoint_loader() -> None:
    """Route mmengine's loading of local paths through :func:`load_local_checkpoint`."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)


_STEP_RE = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


def checkpoint_step(path: str) -> Optional[Tuple[str, int]]:
    """``('iter', 8)`` for ``.../iter_8.pth`` (mmengine's CheckpointHook names), else None."""
    m = _STEP_RE.match(osp.basename(path))
    return (m.group(1), int(m.group(2))) if m else None


def _run_checkpoints(work_dir: str) -> List[str]:
    """The ``iter_N`` / ``epoch_N`` checkpoints of ``work_dir``, oldest step first."""
    return sorted((p for p in glob.glob(osp.join(work_dir, '*.pth')) if checkpoint_step(p)),
                  key=checkpoint_step)


def find_resumable_checkpoint(work_dir: str) -> Tuple[Optional[str], List[Tuple[str, str]]]:
    """The checkpoint ``--resume`` continues from: the one ``last_checkpoint`` names, or when that
    one is unreadable (an interrupted save) the newest readable ``iter_N`` / ``epoch_N`` file.

    Returns ``(path or None, [(unreadable path, problem), ...])`` — the skipped newer files, for
    the caller to report."""
    candidates = []
    record = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(record):
        with open(record) as f:
            named = f.read().strip()
        if named:
            candidates.append(named if osp.isabs(named) else osp.join(work_dir, named))
    candidates += _run_checkpoints(work_dir)[::-1]
    skipped, seen = [], set()
    for path in candidates:
        if osp.realpath(path) in seen:  # last_checkpoint names it absolute, the scan relative
            continue
        seen.add(osp.realpath(path))
        if not osp.isfile(path):
            skipped.append((path, 'missing (named by last_checkpoint)'))
            continue
        problem = checkpoint_file_problem(path)
        if problem is None:
            return path, skipped
        skipped.append((path, problem))
    return None, skipped


def plan_run_dir(work_dir: str, resume: Optional[str]) -> Optional[str]:
    """``tools/train.py``'s rule that a run never overwrites another run: returns the checkpoint to
    resume from (None for a new run) or raises ``SystemExit`` with what to do instead.

    * new run (``resume`` None): ``work_dir`` must not hold a run's checkpoints yet;
    * ``resume='auto'``: the newest *readable* checkpoint of ``work_dir`` (an unreadable newer one,
      e.g. from a killed save, is reported and renamed ``<name>.unreadable`` so the resumed run
      does not overwrite it); nothing to resume is an error;
    * ``resume=PATH``: PATH must be a readable checkpoint, and resuming must not overwrite later
      checkpoints already in ``work_dir``.
    """
    existing = _run_checkpoints(work_dir)
    record = osp.join(work_dir, 'last_checkpoint')
    if resume is None:
        if existing or osp.isfile(record):
            names = ', '.join(osp.basename(p) for p in existing[-3:]) or 'last_checkpoint'
            raise SystemExit(f'error: work dir {work_dir} already holds a run ({names}); pass '
                             '--resume to continue it, or --work-dir with a new folder for a new '
                             'run (a run never overwrites another)')
        return None
    if resume == 'auto':
        path, skipped = find_resumable_checkpoint(work_dir)
        if path is None:
            if skipped:
                raise SystemExit(f'error: --resume: no readable checkpoint in {work_dir}: ' +
                                 '; '.join(f'{osp.basename(p)} is {why}' for p, why in skipped))
            raise SystemExit(f'error: --resume: nothing to resume in {work_dir} (no '
                             'last_checkpoint, no iter_N.pth / epoch_N.pth); drop --resume to '
                             'start a new run there')
        for bad, why in skipped:
            keep = bad + '.unreadable'
            if osp.isfile(bad) and int(os.environ.get('RANK', '0')) == 0:
                os.replace(bad, keep)
            print(f'warning: --resume skips {bad}: it is {why}; kept as {osp.basename(keep)}. '
                  f'Resuming from the newest readable checkpoint {path}', flush=True)
    else:
        path = resume
        if not osp.isfile(path):
            raise SystemExit(f'error: --resume checkpoint {path!r} does not exist')
        problem = checkpoint_file_problem(path)
        if problem is not None:
            good, _ = find_resumable_checkpoint(osp.dirname(path) or '.')
            hint = f'; the newest readable checkpoint there is {good}' if good else ''
            raise SystemExit(f'error: --resume checkpoint {path} is {problem}{hint}')
    step = checkpoint_step(path)
    later = [p for p in existing if step and checkpoint_step(p)[0] == step[0]
             and checkpoint_step(p)[1] > step[1] and osp.isfile(p)]
    if later:
        raise SystemExit(f'error: resuming from {path} in {work_dir} would overwrite its later '
                         f'checkpoints ({", ".join(osp.basename(p) for p in later)}); resume into '
                         'a new --work-dir instead')
    return path
