"""Two-way (bijective) autoencoder: squeezes + stages of additive coupling blocks.

``encode`` is the forward pass and ``decode`` its exact inverse with the *same* weights: there is no
decoder network and nothing is discarded, so latent features stay pixel-aligned with the input.

Shapes (2D, defaults ``init_squeeze=2, blocks=(4, 5, 3), strides=(1, 2, 2)``)::

    x (B, C, H, W) -> squeeze 2 -> (B, 4C, H/2, W/2) -> 4 blocks
                   -> squeeze 2 -> (B, 16C, H/4, W/4) -> 5 blocks
                   -> squeeze 2 -> (B, 64C, H/8, W/8) -> 3 blocks  = z

3D mode keeps a temporal axis: ``(B, C, T, H, W) -> (B, 64C, T, H/8, W/8)`` with 3x3x3 kernels.
"""
from typing import List, Sequence, Tuple

import torch
from torch import nn

from .coupling import AdditiveCoupling
from .reversible import reversible_chain
from .squeeze import Squeeze


class TwoWayAutoencoder(nn.Module):
    """Bijective i-RevNet style autoencoder.

    Args:
        in_channels: channels of the (possibly frame-stacked) input.
        init_squeeze: factor of the initial space-to-depth squeeze.
        blocks: coupling blocks per stage (the authors' Moving MNIST model: ``(4, 5, 3)``).
        strides: per stage, 1 or 2; a stride-2 stage starts with a squeeze by 2.
        conv_dim: 2 (frames) or 3 (clips ``(B, C, T, H, W)``).
        norm: normalisation inside the residual functions (``'gn'`` default, see coupling.py).
        min_mid_channels: lower bound of each block's bottleneck width (width = max(this, C/2)).
        reversible_backprop: keep no activations for backward; reconstruct them from the output
            with the exact inverse (memory independent of depth). Needs a norm without running
            statistics.
        zero_init_residual: zero-initialise the last convolution of every coupling function, so
            the autoencoder starts as a pure permutation of pixels (``encode`` = the squeezes;
            see coupling.py). ``False``: every convolution keeps PyTorch's default
            initialisation (the authors' code).
    """

    def __init__(self, in_channels: int = 3, init_squeeze: int = 2,
                 blocks: Sequence[int] = (4, 5, 3), strides: Sequence[int] = (1, 2, 2),
                 conv_dim: int = 2, norm: str = 'gn', min_mid_channels: int = 16,
                 reversible_backprop: bool = False, zero_init_residual: bool = True) -> None:
        super().__init__()
        if len(blocks) != len(strides):
            raise ValueError(f'blocks {tuple(blocks)} and strides {tuple(strides)} must have the '
                             'same length (one entry per stage)')
        if any(s not in (1, 2) for s in strides):
            raise ValueError(f'strides must be 1 or 2, got {tuple(strides)}')
        if reversible_backprop and norm == 'bn':
            raise ValueError("reversible_backprop=True cannot be used with norm='bn': the "
                             'recomputation in backward would update BatchNorm running statistics '
                             "twice. Use norm='gn' (default) or 'none'.")
        self.in_channels = in_channels
        self.conv_dim = conv_dim
        self.reversible_backprop = reversible_backprop
        steps: List[nn.Module] = []
        stage_ends: List[int] = []
        channels, factor = in_channels, 1
        if init_squeeze > 1:
            steps.append(Squeeze(init_squeeze))
            channels *= init_squeeze ** 2
            factor *= init_squeeze
        for stage, (n, s) in enumerate(zip(blocks, strides)):
            if s == 2:
                steps.append(Squeeze(2))
                channels *= 4
                factor *= 2
            for i in range(n):
                steps.append(AdditiveCoupling(channels, max(min_mid_channels, channels // 2),
                                              conv_dim, norm, first=(stage == 0 and i == 0),
                                              zero_init=zero_init_residual))
            stage_ends.append(len(steps))
        if channels % 2:
            raise ValueError(f'the latent has {channels} channels; the coupling blocks need an '
                             'even count (use init_squeeze >= 2)')
        self.steps = nn.ModuleList(steps)
        self.stage_ends = stage_ends
        self.out_channels = channels
        self.downsample = factor
        # channels and stride of each stage output, for the detection backbone
        self.stage_channels: Tuple[int, ...] = tuple(
            in_channels * (init_squeeze ** 2) * 4 ** sum(s == 2 for s in strides[:i + 1])
            for i in range(len(blocks)))
        self.stage_strides: Tuple[int, ...] = tuple(
            init_squeeze * 2 ** sum(s == 2 for s in strides[:i + 1]) for i in range(len(blocks)))

    def _check_input(self, x: torch.Tensor) -> None:
        want = 4 if self.conv_dim == 2 else 5
        if x.dim() != want or x.shape[1] != self.in_channels:
            layout = '(B, C, H, W)' if want == 4 else '(B, C, T, H, W)'
            raise ValueError(f'TwoWayAutoencoder expects {layout} with C={self.in_channels}, got '
                             f'shape {tuple(x.shape)}')
        h, w = x.shape[-2:]
        if h % self.downsample or w % self.downsample:
            raise ValueError(f'input height/width must be divisible by the total squeeze factor '
                             f'{self.downsample}, got H={h}, W={w}')

    def _chain(self, inverse: bool):
        mods = list(reversed(self.steps)) if inverse else list(self.steps)
        return [((m.inverse, m.forward) if inverse else (m.forward, m.inverse))
                + (list(m.parameters()), ) for m in mods]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, [T,] H, W)`` -> latent ``(B, C * f^2, [T,] H/f, W/f)``, f = ``downsample``."""
        self._check_input(x)
        if self.reversible_backprop:
            return reversible_chain(x, self._chain(inverse=False))
        for m in self.steps:
            x = m(x)
        return x

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Exact inverse of :meth:`encode`."""
        if z.shape[1] != self.out_channels:
            raise ValueError(f'decode expects {self.out_channels} latent channels, got shape '
                             f'{tuple(z.shape)}')
        if self.reversible_backprop:
            return reversible_chain(z, self._chain(inverse=True))
        for m in reversed(self.steps):
            z = m.inverse(z)
        return z

    def forward_stages(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Outputs of every stage (ordinary autograd): ``stage_channels[i]`` channels at stride
        ``stage_strides[i]``; the last one is the latent."""
        self._check_input(x)
        outs = []
        for i, m in enumerate(self.steps):
            x = m(x)
            if i + 1 in self.stage_ends:
                outs.append(x)
        return tuple(outs)

    forward = encode
