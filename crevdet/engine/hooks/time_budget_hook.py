"""Stop training after a wall-clock budget (equal-time comparisons, e.g. the ablation tool)."""
import os.path as osp
import time
from typing import Optional

from mmengine.hooks import Hook

from crevdet.registry import HOOKS

#: message-hub runtime info: seconds spent evaluating inside the training loop (benchmark and
#: learning-curve hooks add to it); training clocks subtract it
EVAL_SECONDS = 'eval_seconds'


def eval_seconds(runner) -> float:
    return float(runner.message_hub.get_info(EVAL_SECONDS, 0.0) or 0.0)


@HOOKS.register_module()
class TrainTimeBudgetHook(Hook):
    """End training at the first iteration boundary after ``minutes`` of training time
    (wall-clock time minus the evaluations run by hooks inside the loop, see ``EVAL_SECONDS``).

    The loop stops through its ``stop_training`` flag (as mmengine's EarlyStoppingHook does);
    ``runner.iter`` then tells how many iterations fitted in the budget. mmengine's
    CheckpointHook only saves the "last" checkpoint at ``max_iters``, so with ``save_last`` this
    hook saves ``iter_<n>.pth`` (and the ``last_checkpoint`` marker ``--resume`` reads) itself.
    An epoch-based loop checks the flag between epochs, so it stops at the end of that epoch.

    ``lr_decay_at`` (a share of the budget, e.g. 0.67) multiplies every parameter group's
    learning rate by ``lr_decay_gamma`` once that share of the time has passed: the step decay
    of an epoch schedule (MultiStepLR at 2/3 of the epochs) for a run whose length is a time.
    """

    priority = 'VERY_LOW'

    def __init__(self, minutes: float, save_last: bool = True,
                 lr_decay_at: Optional[float] = None, lr_decay_gamma: float = 0.1) -> None:
        if minutes <= 0:
            raise ValueError(f'TrainTimeBudgetHook: minutes must be > 0, got {minutes}')
        if lr_decay_at is not None and not 0 < lr_decay_at < 1:
            raise ValueError(f'TrainTimeBudgetHook: lr_decay_at must be a share of the budget in '
                             f'(0, 1), got {lr_decay_at}')
        self.budget_s = minutes * 60.0
        self.save_last = save_last
        self.lr_decay_at, self.lr_decay_gamma = lr_decay_at, lr_decay_gamma
        self._decayed = False
        self._start = self._eval0 = None

    def before_train(self, runner) -> None:
        self._start, self._eval0 = time.perf_counter(), eval_seconds(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        elapsed = time.perf_counter() - self._start - (eval_seconds(runner) - self._eval0)
        if (self.lr_decay_at is not None and not self._decayed
                and elapsed >= self.lr_decay_at * self.budget_s):
            self._decayed = True
            for group in runner.optim_wrapper.param_groups:
                group['lr'] *= self.lr_decay_gamma
            runner.logger.info(f'time budget: learning rate x {self.lr_decay_gamma} after '
                               f'{elapsed / 60:.1f} min ({runner.iter + 1} iterations)')
        if elapsed >= self.budget_s and not runner.train_loop.stop_training:
            runner.logger.info(f'time budget of {self.budget_s / 60:.1f} min reached after '
                               f'{runner.iter + 1} iterations: stopping training')
            runner.train_loop.stop_training = True
            name = f'iter_{runner.iter + 1}.pth'
            if self.save_last and not osp.isfile(osp.join(runner.work_dir, name)):
                runner.save_checkpoint(runner.work_dir, name, by_epoch=False)
                with open(osp.join(runner.work_dir, 'last_checkpoint'), 'w') as f:
                    f.write(osp.join(runner.work_dir, name))
