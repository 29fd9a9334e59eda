"""Bijective space-to-depth squeeze (i-RevNet's psi) for 2D and 3D tensors.

2D: ``(B, C, H, W) -> (B, C*n*n, H/n, W/n)``; 3D: ``(B, C, T, H, W) -> (B, C*n*n, T, H/n, W/n)``
(the temporal axis is untouched). ``unsqueeze`` is the exact inverse (a pure permutation of values),
so stacking squeezes never loses information.
"""
import torch
import torch.nn.functional as F
from torch import nn


def _check(x: torch.Tensor, n: int) -> None:
    if x.dim() not in (4, 5):
        raise ValueError(f'squeeze expects (B,C,H,W) or (B,C,T,H,W), got shape {tuple(x.shape)}')
    h, w = x.shape[-2:]
    if h % n or w % n:
        raise ValueError(f'squeeze by {n} needs H and W divisible by {n}, got H={h}, W={w}')


def squeeze(x: torch.Tensor, n: int = 2) -> torch.Tensor:
    """Space-to-depth by factor ``n`` on the last two axes."""
    _check(x, n)
    if x.dim() == 4:
        return F.pixel_unshuffle(x, n)
    b, c, t, h, w = x.shape
    # fold time into batch so the 2D primitive does the work: (B*T, C, H, W)
    y = F.pixel_unshuffle(x.transpose(1, 2).reshape(b * t, c, h, w), n)
    return y.reshape(b, t, c * n * n, h // n, w // n).transpose(1, 2)


def unsqueeze(x: torch.Tensor, n: int = 2) -> torch.Tensor:
    """Depth-to-space by factor ``n``: the exact inverse of :func:`squeeze`."""
    if x.dim() not in (4, 5) or x.shape[1] % (n * n):
        raise ValueError(f'unsqueeze by {n} needs (B,C,...) with C divisible by {n * n}, '
                         f'got shape {tuple(x.shape)}')
    if x.dim() == 4:
        return F.pixel_shuffle(x, n)
    b, c, t, h, w = x.shape
    y = F.pixel_shuffle(x.transpose(1, 2).reshape(b * t, c, h, w), n)
    return y.reshape(b, t, c // (n * n), h * n, w * n).transpose(1, 2)


class Squeeze(nn.Module):
    """Module form of :func:`squeeze` with an ``inverse`` method."""

    def __init__(self, factor: int = 2) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return squeeze(x, self.factor)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return unsqueeze(y, self.factor)

    def extra_repr(self) -> str:
        return f'factor={self.factor}'
