"""DCGAN-style frame encoder / decoder with skip connections (SRVP's and SVG's ``dcgan`` nets).

Encoder (``nf`` filters, frame ``(C, H, W)``, H and W divisible by 16)::

    x (B, C, H, W) -> 4 x [conv 4x4 s2, norm, LeakyReLU] -> skips at strides 2, 4, 8, 16
                   (nf, 2nf, 4nf, 8nf channels) -> conv (H/16 x W/16, valid) -> (B, nh) vector

Decoder: the mirror, from a vector and (optionally) the skips, to a sigmoid frame in [0, 1].
"""
from typing import List, Sequence, Tuple

import torch
from torch import nn

from .conv_norm import conv_nd, make_norm

conv2d = conv_nd(2)  # mmcv build_conv_layer with Conv2d arguments


def _down(c_in: int, c_out: int, norm: str) -> nn.Sequential:
    return nn.Sequential(conv2d(c_in, c_out, 4, 2, 1), make_norm(norm, c_out, 2),
                         nn.LeakyReLU(0.2, inplace=True))


def _up(c_in: int, c_out: int, norm: str) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), make_norm(norm, c_out, 2),
                         nn.LeakyReLU(0.2, inplace=True))


class DCGANEncoder(nn.Module):
    def __init__(self, in_channels: int, nh: int = 128, nf: int = 32,
                 frame_size: Sequence[int] = (64, 64), norm: str = 'gn') -> None:
        super().__init__()
        h, w = frame_size
        if h % 16 or w % 16:
            raise ValueError('DCGAN encoder needs frame_size divisible by 16, got '
                             f'{tuple(frame_size)}')
        self.in_channels = in_channels
        self.stage_channels = (nf, 2 * nf, 4 * nf, 8 * nf)
        self.stage_strides = (2, 4, 8, 16)
        self.stages = nn.ModuleList(_down(c_in, c_out, norm) for c_in, c_out in
                                    zip((in_channels,) + self.stage_channels[:-1],
                                        self.stage_channels))
        self.last = conv2d(8 * nf, nh, (h // 16, w // 16))

    def forward_stages(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Conv stages only (any H, W divisible by 16): the detection features."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'DCGAN encoder expects (B, C={self.in_channels}, H, W), got shape '
                             f'{tuple(x.shape)}')
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return tuple(outs)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """``(B, C, H, W)`` -> vector ``(B, nh)`` and the four skip maps."""
        skips = list(self.forward_stages(x))
        return torch.tanh(self.last(skips[-1])).flatten(1), skips


class DCGANDecoder(nn.Module):
    def __init__(self, out_channels: int, in_features: int, nf: int = 32,
                 frame_size: Sequence[int] = (64, 64), skip: bool = True,
                 norm: str = 'gn') -> None:
        super().__init__()
        h, w = frame_size
        self.skip = skip
        mult = 2 if skip else 1
        self.first = nn.Sequential(nn.ConvTranspose2d(in_features, 8 * nf, (h // 16, w // 16)),
                                   make_norm(norm, 8 * nf, 2), nn.LeakyReLU(0.2, inplace=True))
        chans = (8 * nf, 4 * nf, 2 * nf, nf)
        self.ups = nn.ModuleList(_up(chans[i] * mult, chans[i + 1], norm) for i in range(3))
        self.last = nn.ConvTranspose2d(nf * mult, out_channels, 4, 2, 1)

    def forward(self, v: torch.Tensor, skips: Sequence[torch.Tensor] = (),
                logits: bool = False) -> torch.Tensor:
        """``v (B, in_features)`` and encoder skips (strides 2..16) -> frame ``(B, C, H, W)``;
        with ``logits`` the values before the sigmoid (for a Bernoulli likelihood)."""
        x = self.first(v[:, :, None, None])
        for i, up in enumerate(self.ups):
            x = up(torch.cat([x, skips[3 - i]], 1) if self.skip else x)
        x = torch.cat([x, skips[0]], 1) if self.skip else x
        x = self.last(x)
        return x if logits else torch.sigmoid(x)
