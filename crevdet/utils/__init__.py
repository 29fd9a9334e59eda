"""crevdet's helpers: setting the package up (``package``: registering its modules) and what the
command-line tools share (``cli``).

The tools' helpers are loaded on first use (PEP 562), so importing ``crevdet.utils`` (e.g. for
``REPO_ROOT``, as ``crevdet.models`` does) does not load the command-line code.
``REPO_ROOT`` itself lives in the leaf module :mod:`crevdet.paths`.
"""
import functools
import importlib

from crevdet.paths import REPO_ROOT, resolve_config
from .package import register_all_modules

# the tools' helpers (crevdet/utils/cli.py), imported when first asked for
_CLI = ('CfgDictAction', 'check_cfg_options', 'check_truncated', 'open_input_frames',
        'read_input_frames', 'new_output_dir')

__all__ = ['REPO_ROOT', 'register_all_modules', 'resolve_config', 'config_path',
           'load_tool_config', 'exit_on', *_CLI]


def config_path(name: str) -> str:
    """A tool's config argument as a file path: a shipped config's scoped name
    (``crevdet::pretrain_kitti.py``, :func:`crevdet.paths.resolve_config`) resolved, a path
    returned as given. A scoped name that is not a shipped config exits with ``error: <why>``."""
    try:
        return resolve_config(name)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f'error: {e}')


def load_tool_config(args, *rest, **kwargs):
    """``crevdet.utils.cli.load_tool_config`` for a config given as a path or as a shipped
    config's scoped name (:func:`config_path`): ``args.config`` becomes the file's path, so the
    default work dir is still named after it."""
    from .cli import load_tool_config as _load
    args.config = config_path(args.config)
    return _load(args, *rest, **kwargs)


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


def __getattr__(name: str):
    if name in _CLI:
        return getattr(importlib.import_module('.cli', __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__():
    return sorted(set(globals()) | set(_CLI))
