from .checkpoint import (CHECKPOINT_SAFE_GLOBALS, install_checkpoint_loader, load_local_checkpoint,
                         trusted_checkpoints)
from .hooks import *  # noqa: F401,F403
from .runner import CrevdetRunner, build_runner

__all__ = ['CHECKPOINT_SAFE_GLOBALS', 'install_checkpoint_loader', 'load_local_checkpoint',
           'trusted_checkpoints', 'CrevdetRunner', 'build_runner']
