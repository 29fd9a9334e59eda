"""A hook that SIGKILLs its own training process after a given iteration: the uncatchable crash
that the resume-reproducibility test recovers from (imported by a config's custom_imports)."""
import os
import signal

from mmengine.hooks import Hook

from crevdet.registry import HOOKS


@HOOKS.register_module()
class SigKillAfterIterHook(Hook):
    priority = 'LOWEST'  # after the checkpoint and logger hooks of that iteration

    def __init__(self, after_iter: int) -> None:
        self.after_iter = after_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.after_iter:
            os.kill(os.getpid(), signal.SIGKILL)
