from .hooks import *  # noqa: F401,F403
from .runner import CrevdetRunner, build_runner

__all__ = ['CrevdetRunner', 'build_runner']
