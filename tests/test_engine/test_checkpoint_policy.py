"""weights_only loading everywhere except --resume, and portable crevdet checkpoints."""
import collections
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from crevdet.engine import PortableCheckpointHook, load_local_checkpoint, trusted_checkpoints


class Payload:  # stands for anything that is not plain data
    pass


def test_non_plain_checkpoint_is_refused_with_clear_message(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}, 'extra': Payload()}, path)
    with pytest.raises(RuntimeError, match=r"weights_only=True.*evil\.pth.*--resume"):
        load_local_checkpoint(path)
    with trusted_checkpoints():  # the scoped --resume path loads the user's own file in full
        assert isinstance(load_local_checkpoint(path)['extra'], Payload)
    with pytest.raises(RuntimeError):  # and the trust ends with the block
        load_local_checkpoint(path)
    assert isinstance(load_local_checkpoint(path, trusted=True)['extra'], Payload)
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_local_checkpoint(str(tmp_path / 'nope.pth'))


def test_trust_stays_in_the_block_and_importing_installs_nothing():
    env_before = dict(os.environ)
    with trusted_checkpoints():  # a context variable: child processes never inherit the trust
        assert dict(os.environ) == env_before
    code = ('import crevdet.engine\n'
            'from mmengine.runner.checkpoint import CheckpointLoader as L\n'
            'print(L._schemes[""] is crevdet.engine.load_local_checkpoint)\n'
            'from crevdet.utils import register_all_modules\n'
            'register_all_modules()\n'
            'print(L._schemes[""] is crevdet.engine.load_local_checkpoint)\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ['False', 'True'], 'import alone leaves mmengine as it is; set-up installs'


def test_portable_hook_round_trip(tmp_path):
    hub = MessageHub.get_instance('crevdet-test-portable')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', 0.25)
    ckpt = {'state_dict': collections.OrderedDict(w=torch.ones(2)),
            'meta': {'iter': 3, 'seed': np.int64(0)}, 'message_hub': hub.state_dict()}
    hook = PortableCheckpointHook()
    hook.before_save_checkpoint(None, ckpt)
    path = str(tmp_path / 'ok.pth')
    torch.save(ckpt, path)
    loaded = load_local_checkpoint(path)  # weights_only=True, no getattr allowed
    hook.after_load_checkpoint(None, loaded)
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer) and buf.current() == 0.25 and buf.mean() == 0.375
    # without the hook the same content is refused (HistoryBuffer pickles through getattr)
    torch.save({'message_hub': hub.state_dict()}, str(tmp_path / 'raw.pth'))
    with pytest.raises(RuntimeError, match='weights_only'):
        load_local_checkpoint(str(tmp_path / 'raw.pth'))
