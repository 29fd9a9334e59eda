"""Reversible backpropagation through a chain of invertible steps.

Ordinary autograd keeps every intermediate activation of the chain for the backward pass, so
memory grows with depth. :class:`_ReversibleChain` keeps only the chain's *output*; during
backward it walks the steps in reverse, reconstructs each step's input from its output with the
exact inverse, re-runs that one step with grad enabled and back-propagates through it. Peak
activation memory is then one step's worth, whatever the depth; the price is one extra forward
per step.

Requirements on each step: ``forward``/``inverse`` exact inverses and deterministic. Layers with
running statistics (BatchNorm in training mode) would be updated twice, so callers reject them.
"""
from typing import Callable, List, Sequence, Tuple

import torch
from torch import nn

Step = Tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor],
             List[nn.Parameter]]


class _ReversibleChain(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x: torch.Tensor, steps: Sequence[Step], *params: torch.Tensor):
        ctx.steps = steps
        ctx.n_params = [len(p) for _, _, p in steps]
        # autocast state is not carried into backward by autograd for custom Functions
        dev = x.device.type
        ctx.autocast = (dev, torch.is_autocast_enabled(dev), torch.get_autocast_dtype(dev))
        with torch.no_grad():
            y = x
            for fn, _, _ in steps:
                y = fn(y)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy: torch.Tensor):
        y, = ctx.saved_tensors
        dev, ac_enabled, ac_dtype = ctx.autocast
        param_grads: List[torch.Tensor] = []
        for fn, inv, params in reversed(ctx.steps):
            with torch.no_grad(), torch.autocast(dev, dtype=ac_dtype, enabled=ac_enabled):
                x = inv(y)
            x = x.detach().requires_grad_(True)
            with torch.enable_grad(), torch.autocast(dev, dtype=ac_dtype, enabled=ac_enabled):
                y_re = fn(x)
            grads = torch.autograd.grad(y_re, [x] + list(params), dy, allow_unused=True)
            dy = grads[0]
            param_grads = list(grads[1:]) + param_grads
            y = x.detach()
        return (dy, None) + tuple(param_grads)


def reversible_chain(x: torch.Tensor, steps: Sequence[Step]) -> torch.Tensor:
    """Apply ``steps`` (``(forward, inverse, params)`` triples) to ``x`` with reversible backprop.

    Falls back to plain calls when no gradient is needed.
    """
    params = [p for _, _, ps in steps for p in ps]
    if not torch.is_grad_enabled() or not (x.requires_grad or any(p.requires_grad for p in params)):
        for fn, _, _ in steps:
            x = fn(x)
        return x
    return _ReversibleChain.apply(x, list(steps), *params)
