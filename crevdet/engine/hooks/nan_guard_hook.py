"""Stop training at the first non-finite loss or gradient, and never write a non-finite checkpoint.

Without it a diverged run (e.g. a learning rate far too high) keeps going on NaN, exits 0 and
writes checkpoints whose parameters are all NaN. Three checks, each before damage is done:

* the loss, right after the model's ``parse_losses`` and **before** ``backward``: the error names
  the iteration and every loss term with its value;
* the gradients, in an optimizer step pre-hook, **before** the update touches the parameters
  (under AMP's dynamic loss scaling the scaler skips steps with inf gradients by itself and never
  calls ``step`` for them, so only real divergence reaches this check);
* every floating-point parameter and buffer before a checkpoint is written.

It costs one device synchronisation per iteration. ``CrevdetRunner`` registers it by default;
list it in ``custom_hooks`` to change its options.
"""
from typing import Dict, List

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop

from crevdet.registry import HOOKS


class NonFiniteError(FloatingPointError):
    """Training produced a NaN or Inf."""


def _where(runner) -> str:
    it = f'iteration {runner.iter + 1}'
    if isinstance(runner.train_loop, EpochBasedTrainLoop):
        it += f' (epoch {runner.epoch + 1})'
    return it


def _non_finite(named: Dict[str, torch.Tensor], show: int = 5) -> List[str]:
    bad = [k for k, v in named.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    return bad[:show] + ([f'... ({len(bad) - show} more)'] if len(bad) > show else [])


@HOOKS.register_module()
class NaNGuardHook(Hook):
    """Args:
        check_grads: also check the gradients before every optimizer step.
        check_checkpoints: refuse to write a checkpoint holding NaN/Inf parameters or buffers.
    """
    priority = 'VERY_HIGH'

    def __init__(self, check_grads: bool = True, check_checkpoints: bool = True) -> None:
        self.check_grads, self.check_checkpoints = check_grads, check_checkpoints
        self._handles = []

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        parse = model.parse_losses

        def guarded_parse_losses(losses):
            loss, log_vars = parse(losses)
            if not torch.isfinite(loss).all():
                terms = ', '.join(f'{k}={float(v):.6g}' for k, v in log_vars.items())
                raise NonFiniteError(
                    f'non-finite loss at {_where(runner)}: {terms}. Training stopped before '
                    'this step changed any weight; lower the learning rate, add gradient '
                    'clipping (optim_wrapper.clip_grad) or check the input data.')
            return loss, log_vars
        model.parse_losses = guarded_parse_losses  # this instance only, for this run
        if not self.check_grads:
            return
        names = {id(p): n for n, p in model.named_parameters()}
        wrappers = runner.optim_wrapper
        wrappers = wrappers.values() if hasattr(wrappers, 'values') else [wrappers]

        def check(optimizer, args, kwargs):
            grads = {names.get(id(p), '?'): p.grad for g in optimizer.param_groups
                     for p in g['params'] if p.grad is not None}
            if not grads:
                return
            norms = torch._foreach_norm(list(grads.values()))
            if bool(torch.isfinite(torch.stack(norms)).all()):
                return
            raise NonFiniteError(
                f'non-finite gradient at {_where(runner)} (finite loss) in '
                f'{", ".join(_non_finite(grads))}. Training stopped before the optimizer step '
                'changed any weight; add gradient clipping (optim_wrapper.clip_grad) or lower '
                'the learning rate.')
        self._handles = [w.optimizer.register_step_pre_hook(check) for w in wrappers]

    def after_train(self, runner) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if not self.check_checkpoints:
            return
        bad = _non_finite(checkpoint.get('state_dict', {}))
        if bad:
            raise NonFiniteError(
                f'refusing to write a checkpoint at {_where(runner)}: non-finite values in '
                f'{", ".join(bad)}. The earlier checkpoints in {runner.work_dir} are intact.')
