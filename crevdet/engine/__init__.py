from .checkpoint import (CHECKPOINT_SAFE_GLOBALS, CheckpointFileError, install_checkpoint_loader,
                         load_local_checkpoint)
from .hooks import *  # noqa: F401,F403
from .runner import CrevdetRunner, build_runner

__all__ = ['CHECKPOINT_SAFE_GLOBALS', 'CheckpointFileError', 'install_checkpoint_loader',
           'load_local_checkpoint', 'CrevdetRunner', 'build_runner']
