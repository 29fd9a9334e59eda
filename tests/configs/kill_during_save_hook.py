"""A hook that SIGKILLs its own training process in the middle of writing a checkpoint: half of
the file's bytes are on disk when the process dies (the crash-during-save case of the resume
test; imported by a config's custom_imports)."""
import os
import signal

from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.hooks import Hook

from crevdet.registry import HOOKS


@HOOKS.register_module()
class KillDuringSaveHook(Hook):
    priority = 'LOWEST'  # after every other hook's before_save_checkpoint

    def __init__(self, at_iter: int) -> None:
        self.at_iter = at_iter

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if checkpoint['meta'].get('iter') != self.at_iter:
            return

        def put_half_then_die(backend, obj: bytes, filepath) -> None:
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
                f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        LocalBackend.put = put_half_then_die  # the write mmengine's save_checkpoint does next
