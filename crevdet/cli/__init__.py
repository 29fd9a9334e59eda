"""The command-line layer: what crevdet's tools share (:mod:`.common`: ``--cfg-options``,
configs, checkpoints and folders given on the command line, one-line errors), the measuring
helpers of the benchmark tools (:mod:`.measure`, :mod:`.kernel_launches`), the archive checks of
the dataset converters (:mod:`.archive_paths`), and the package entry points of training and
testing (``python -m crevdet.cli.train`` / ``crevdet.cli.test``: what ``tools/train.py`` and
``tools/test.py`` run, and what the experiment API starts, so the library never runs a script
of ``tools/``).

Layer: the top one; nothing else in crevdet imports it (the experiment API names its entry
points as processes).
"""
from .common import (CfgDictAction, check_cfg_options, check_truncated, config_path, exit_on,
                     load_tool_config, new_output_dir, open_input_frames, read_input_frames)

__all__ = ['CfgDictAction', 'check_cfg_options', 'check_truncated', 'config_path', 'exit_on',
           'load_tool_config', 'new_output_dir', 'open_input_frames', 'read_input_frames']
