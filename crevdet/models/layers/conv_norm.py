"""Convolution and normalisation layers of every crevdet network, built through mmcv's builders
(``build_conv_layer`` / ``build_norm_layer``), as OpenMMLab models do. They return plain
``nn.Conv2d/3d``, ``nn.GroupNorm`` and ``nn.BatchNorm2d/3d``, so weights and state-dict keys are
those of the torch layers."""
from functools import partial
from typing import Callable

from mmcv.cnn import build_conv_layer, build_norm_layer
from torch import nn

NORMS = ('gn', 'bn', 'none')


def conv_nd(conv_dim: int) -> Callable[..., nn.Module]:
    """A constructor with ``nn.Conv2d``'s arguments (``conv_dim=2``) or ``nn.Conv3d``'s (3)."""
    if conv_dim not in (2, 3):
        raise ValueError(f'conv_dim must be 2 or 3, got {conv_dim}')
    return partial(build_conv_layer, dict(type=f'Conv{conv_dim}d'))


def make_norm(norm: str, channels: int, conv_dim: int) -> nn.Module:
    """``'gn'`` (default: no running statistics, safe for reversible backprop), ``'bn'`` or
    ``'none'``."""
    if norm == 'gn':
        # largest group count <= 8 dividing the channels (channels can be tiny: 2 for MNIST)
        groups = max(g for g in range(1, 9) if channels % g == 0)
        return build_norm_layer(dict(type='GN', num_groups=groups), channels)[1]
    if norm == 'bn':
        return build_norm_layer(dict(type='BN' if conv_dim == 2 else 'BN3d'), channels)[1]
    if norm == 'none':
        return nn.Identity()
    raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
