"""weights_only loading everywhere, resume included, and portable crevdet checkpoints."""
import collections
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from crevdet.checkpoint import CheckpointFileError, load_local_checkpoint
from crevdet.engine import PortableCheckpointHook


class Payload:  # stands for anything that is not plain data
    pass


def test_non_plain_checkpoint_is_refused_with_clear_message(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}, 'extra': Payload()}, path)
    with pytest.raises(CheckpointFileError, match=r"evil\.pth holds objects other than tensors.*"
                       r"Payload.*weights-only unpickler \(weights_only=True\)"):
        load_local_checkpoint(path)
    with pytest.raises(TypeError):  # no way to ask for a full unpickle any more
        load_local_checkpoint(path, trusted=True)
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_local_checkpoint(str(tmp_path / 'nope.pth'))


def test_importing_installs_nothing_and_no_environment_switch():
    env_before = dict(os.environ)
    import crevdet.checkpoint.files as policy
    assert not hasattr(policy, 'trusted_checkpoints') and dict(os.environ) == env_before
    code = ('import crevdet.engine, crevdet.checkpoint\n'
            'from mmengine.runner.checkpoint import CheckpointLoader as L\n'
            'print(L._schemes[""] is crevdet.checkpoint.load_local_checkpoint)\n'
            'from crevdet.utils import register_all_modules\n'
            'register_all_modules()\n'
            'print(L._schemes[""] is crevdet.checkpoint.load_local_checkpoint)\n')
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
    # without the hook (plain mmengine) HistoryBuffer pickles through getattr; the allowlist's
    # stand-ins read it weights-only and give back real HistoryBuffers
    torch.save({'message_hub': hub.state_dict()}, str(tmp_path / 'raw.pth'))
    raw = load_local_checkpoint(str(tmp_path / 'raw.pth'))
    buf = raw['message_hub']['log_scalars']['train/loss']
    assert type(buf) is HistoryBuffer and buf.mean() == 0.375
