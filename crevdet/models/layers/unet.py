"""A plain convolutional UNet encoder / decoder (the paper's Table 2 "UNet" ablation, which
replaces the two-way autoencoder with an ordinary, information-losing encoder-decoder).

Shapes (defaults ``channels=(32, 64, 128)``, every stage starts with a stride-2 conv)::

    x (B, C, H, W) -> stage 0 (B, 32, H/2, W/2) -> stage 1 (B, 64, H/4, W/4)
                   -> stage 2 (B, 128, H/8, W/8) = latent z
    decode(z, skips): z -> up + skip 1 -> up + skip 0 -> up -> (B, out_channels, H, W)

Unlike the two-way autoencoder the decoder has its own weights and needs the encoder's skip
features; a predictor decodes the predicted latent with the skips of the *current* input frame.
"""
from typing import Sequence, Tuple

import torch
from torch import nn

from .conv_norm import conv_nd, make_norm

conv2d = conv_nd(2)  # mmcv build_conv_layer with Conv2d arguments


def conv_block(in_channels: int, out_channels: int, stride: int = 1, norm: str = 'gn'
               ) -> nn.Sequential:
    """conv3x3(stride) -> norm -> ReLU -> conv3x3 -> norm -> ReLU."""
    return nn.Sequential(
        conv2d(in_channels, out_channels, 3, stride, 1), make_norm(norm, out_channels, 2),
        nn.ReLU(inplace=True),
        conv2d(out_channels, out_channels, 3, 1, 1), make_norm(norm, out_channels, 2),
        nn.ReLU(inplace=True))


class UNetEncoder(nn.Module):
    """``len(channels)`` stride-2 stages; returns every stage's output (strides 2, 4, 8, ...)."""

    def __init__(self, in_channels: int, channels: Sequence[int] = (32, 64, 128),
                 norm: str = 'gn') -> None:
        super().__init__()
        if not channels:
            raise ValueError('UNetEncoder needs at least one stage (channels is empty)')
        self.in_channels = in_channels
        self.stage_channels: Tuple[int, ...] = tuple(channels)
        self.stage_strides: Tuple[int, ...] = tuple(2 ** (i + 1) for i in range(len(channels)))
        self.downsample = self.stage_strides[-1]
        self.stages = nn.ModuleList(
            conv_block(c_in, c_out, 2, norm)
            for c_in, c_out in zip((in_channels,) + tuple(channels[:-1]), channels))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'UNetEncoder expects (B, C={self.in_channels}, H, W), got shape '
                             f'{tuple(x.shape)}')
        if x.shape[-2] % self.downsample or x.shape[-1] % self.downsample:
            raise ValueError(f'input height/width must be divisible by {self.downsample}, got '
                             f'H={x.shape[-2]}, W={x.shape[-1]}')
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return tuple(outs)


class UNetDecoder(nn.Module):
    """Mirror of :class:`UNetEncoder`: upsample x2, concatenate the skip, conv block; a final
    x2 upsample and a 3x3 conv to ``out_channels`` (no output activation)."""

    def __init__(self, out_channels: int, channels: Sequence[int] = (32, 64, 128),
                 norm: str = 'gn') -> None:
        super().__init__()
        rev = tuple(reversed(channels))  # (128, 64, 32)
        self.ups = nn.ModuleList(nn.ConvTranspose2d(c, c, 2, 2) for c in rev)
        # after up i the map has rev[i] channels; blocks fuse it with skip rev[i+1]
        self.blocks = nn.ModuleList(conv_block(rev[i] + rev[i + 1], rev[i + 1], 1, norm)
                                    for i in range(len(rev) - 1))
        self.head = conv2d(rev[-1], out_channels, 3, 1, 1)

    def forward(self, z: torch.Tensor, skips: Sequence[torch.Tensor]) -> torch.Tensor:
        """``z``: latent ``(B, channels[-1], H/f, W/f)``; ``skips``: encoder stages 0..n-2."""
        x = z
        for i, block in enumerate(self.blocks):
            x = block(torch.cat([self.ups[i](x), skips[-1 - i]], 1))
        return self.head(self.ups[-1](x))
