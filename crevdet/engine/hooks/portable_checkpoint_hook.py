"""Keep crevdet checkpoints loadable with ``torch.load(weights_only=True)``.

mmengine stores its message hub's ``HistoryBuffer`` objects in every checkpoint; they pickle
through ``getattr``, which the weights-only unpickler rightly refuses (and which must never be
allow-listed). This hook stores them as plain dicts of numpy arrays instead and rebuilds them when a
checkpoint is resumed, so the same file serves ``--resume``, ``tools/test.py`` and
``init_cfg=dict(type='Pretrained')`` without any trusted (full-pickle) load outside resume.
"""
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer

from crevdet.registry import HOOKS

_TAG = '__crevdet_history_buffer__'


@HOOKS.register_module()
class PortableCheckpointHook(Hook):
    priority = 'VERY_LOW'  # after every other hook has added its part of the checkpoint

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
        for key, buf in list(scalars.items()):
            if isinstance(buf, HistoryBuffer):
                log, count = buf.data
                scalars[key] = {_TAG: True, 'log': log, 'count': count,
                                'max_length': buf.max_length}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
        for key, val in list(scalars.items()):
            if isinstance(val, dict) and val.get(_TAG):
                scalars[key] = HistoryBuffer(val['log'], val['count'], val['max_length'])
