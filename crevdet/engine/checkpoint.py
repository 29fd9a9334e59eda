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
paths; nothing in site-packages is modified.
"""
import contextlib
import os
import os.path as osp
from typing import Iterator

import numpy as np
import torch
from mmengine.runner.checkpoint import CheckpointLoader

_TRUST_ENV = 'CREVDET_TRUSTED_CHECKPOINT'


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
    old = os.environ.get(_TRUST_ENV)
    os.environ[_TRUST_ENV] = '1'
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(_TRUST_ENV, None)
        else:
            os.environ[_TRUST_ENV] = old


def load_local_checkpoint(filename: str, map_location=None):
    """``torch.load`` with crevdet's policy (see module docstring)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    if os.environ.get(_TRUST_ENV) == '1':
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
