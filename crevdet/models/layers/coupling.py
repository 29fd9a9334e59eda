"""Additive coupling block (i-RevNet / RevNet style), 2D or 3D convolutions.

Split channels into halves ``x1, x2`` and compute::

    y2 = x2 + F1(x1)
    y1 = x1 + F2(y2)          -> output cat(y1, y2)

Inverse: ``x1 = y1 - F2(y2)``, ``x2 = y2 - F1(x1)``. Exact up to floating point rounding of one
add/subtract pair per half, whatever F is, so F can be any conv-norm-ReLU stack.

``zero_init=True`` zero-initialises the last convolution of F1 and F2, so the block starts as the
identity (the "zero-init residual" of Goyal et al. 2017 / Fixup): an autoencoder of such blocks
and squeezes starts as a pure permutation of pixels. F behind GroupNorm is scale-invariant and
non-zero at a random initialisation, so decoding a slightly scaled latent ``a * z`` would differ
from decoding ``z`` everywhere in the frame; the identity start avoids that noise.
"""
from typing import Optional

import torch
from torch import nn

from .conv_norm import conv_nd, make_norm


class ResidualFunction(nn.Sequential):
    """``F``: three pre-activation convolutions, ``in -> mid -> mid -> in`` (the i-RevNet
    bottleneck). 3D mode uses 3x3x3 kernels over a ``(B, C, T, H, W)`` clip."""

    def __init__(self, channels: int, mid_channels: int, conv_dim: int = 2,
                 norm: str = 'gn', first: bool = False, zero_init: bool = False) -> None:
        conv = conv_nd(conv_dim)
        layers = []
        if not first:  # i-RevNet: the very first block sees raw pixels, no pre-activation
            layers += [make_norm(norm, channels, conv_dim), nn.ReLU(inplace=False)]
        layers += [conv(channels, mid_channels, 3, padding=1, bias=False),
                   make_norm(norm, mid_channels, conv_dim), nn.ReLU(inplace=False),
                   conv(mid_channels, mid_channels, 3, padding=1, bias=False),
                   make_norm(norm, mid_channels, conv_dim), nn.ReLU(inplace=False),
                   conv(mid_channels, channels, 3, padding=1, bias=False)]
        super().__init__(*layers)
        if zero_init:
            nn.init.zeros_(layers[-1].weight)


class AdditiveCoupling(nn.Module):
    """One invertible block on ``(B, C, H, W)`` (2D) or ``(B, C, T, H, W)`` (3D), ``C`` even.

    Args:
        channels: total channels C (each half has C/2).
        mid_channels: bottleneck width of F1/F2; default ``max(8, C/2)`` so that tiny inputs
            (2 channels per half for a squeezed 1-channel frame) still get some capacity.
        conv_dim: 2 or 3.
        norm: ``'gn'`` | ``'bn'`` | ``'none'``.
        first: the first block of the network skips the leading pre-activation.
        zero_init: zero-initialise F's last convolution (the block starts as the identity).
    """

    def __init__(self, channels: int, mid_channels: Optional[int] = None, conv_dim: int = 2,
                 norm: str = 'gn', first: bool = False, zero_init: bool = False) -> None:
        super().__init__()
        if channels % 2:
            raise ValueError(f'AdditiveCoupling needs an even channel count, got {channels}')
        half = channels // 2
        mid = mid_channels or max(8, half)
        self.channels = channels
        self.f1 = ResidualFunction(half, mid, conv_dim, norm, first, zero_init)
        self.f2 = ResidualFunction(half, mid, conv_dim, norm, zero_init=zero_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x.chunk(2, dim=1)
        y2 = x2 + self.f1(x1)
        y1 = x1 + self.f2(y2)
        return torch.cat([y1, y2], dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        y1, y2 = y.chunk(2, dim=1)
        x1 = y1 - self.f2(y2)
        x2 = y2 - self.f1(x1)
        return torch.cat([x1, x2], dim=1)
