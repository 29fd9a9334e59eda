"""crevdet's helpers: the package itself (``package``: its root, registering its modules) and
what the command-line tools share (``cli``)."""
from .cli import (CfgDictAction, check_cfg_options, check_truncated, load_tool_config,
                  new_output_dir, open_input_frames, read_input_frames)
from .package import REPO_ROOT, register_all_modules

__all__ = ['REPO_ROOT', 'register_all_modules', 'CfgDictAction', 'check_cfg_options',
           'load_tool_config', 'open_input_frames', 'check_truncated', 'read_input_frames',
           'new_output_dir']
