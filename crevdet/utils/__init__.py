"""Setting the package up: :func:`register_all_modules` registers every crevdet module (as
mmdet's does); :class:`~crevdet.utils.progress.ProgressLog` is the long runs' progress line.

What only the command-line tools share lives in :mod:`crevdet.cli`; ``REPO_ROOT`` in the leaf
module :mod:`crevdet.paths` (re-exported here for old imports).
"""
from crevdet.paths import REPO_ROOT, resolve_config
from .package import register_all_modules

__all__ = ['REPO_ROOT', 'register_all_modules', 'resolve_config']
