"""The two-level 3D VQ-VAE of :class:`VQVAEVideoPredictor` (Walker et al. 2021, "Predicting
Video with VQVAE").

VQ-VAE (3D convolutions, ``nh`` channels, codes of ``code_dim``)::

    x (B, C, T, H, W) -> enc_b -> h_b (B, nh, T/2, H/4, W/4)            bottom: time /2, space /4
                      -> enc_t -> h_t (B, nh, T/4, H/8, W/8)            top: a further /2 everywhere
    q_t = VQ_t(h_t)                          own EMA codebook (``num_codes``, default 512)
    q_b = VQ_b(conv(cat(h_b, up(q_t))))      own EMA codebook
    x^  = dec(cat(q_b, up(q_t)))             loss: |x^ - x|^2 + commitment (straight-through)
"""
from typing import Tuple

import torch
from torch import nn

from .vq import VectorQuantizerEMA


class ResBlock3d(nn.Module):
    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv3d(channels, hidden, 3, padding=1),
                                  nn.ReLU(), nn.Conv3d(hidden, channels, 1))

    def forward(self, x):
        return x + self.body(x)


def res_stack(channels: int, n: int) -> nn.Sequential:
    return nn.Sequential(*[ResBlock3d(channels, channels // 2) for _ in range(n)], nn.ReLU())


class VideoVQVAE(nn.Module):
    """The two-level 3D VQ-VAE (see the module docstring). Input T divisible by 4, H and W by 8."""

    def __init__(self, in_channels: int = 1, nh: int = 64, code_dim: int = 32,
                 num_codes: int = 512, num_res: int = 2, decay: float = 0.99,
                 beta: float = 0.25, restart_threshold: float = 1.0) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.enc_b = nn.Sequential(
            nn.Conv3d(in_channels, nh // 2, 4, 2, 1), nn.ReLU(),        # T/2, H/2
            nn.Conv3d(nh // 2, nh, (3, 4, 4), (1, 2, 2), 1),             # H/4
            res_stack(nh, num_res))
        self.enc_t = nn.Sequential(nn.Conv3d(nh, nh, 4, 2, 1), res_stack(nh, num_res))
        self.pre_t = nn.Conv3d(nh, code_dim, 1)
        self.vq_t = VectorQuantizerEMA(num_codes, code_dim, decay, beta,
                                       restart_threshold=restart_threshold)
        self.dec_t = nn.Sequential(nn.Conv3d(code_dim, nh, 3, padding=1), res_stack(nh, num_res),
                                   nn.ConvTranspose3d(nh, code_dim, 4, 2, 1))
        self.pre_b = nn.Conv3d(nh + code_dim, code_dim, 1)
        self.vq_b = VectorQuantizerEMA(num_codes, code_dim, decay, beta,
                                       restart_threshold=restart_threshold)
        self.up_t = nn.ConvTranspose3d(code_dim, code_dim, 4, 2, 1)
        self.dec = nn.Sequential(
            nn.Conv3d(2 * code_dim, nh, 3, padding=1), res_stack(nh, num_res),
            nn.ConvTranspose3d(nh, nh // 2, (3, 4, 4), (1, 2, 2), 1), nn.ReLU(),
            nn.ConvTranspose3d(nh // 2, in_channels, 4, 2, 1))
        self.stage_channels = (nh, nh)
        self.stage_strides = (4, 8)

    def check(self, x: torch.Tensor) -> None:
        if x.dim() != 5 or x.shape[1] != self.in_channels:
            raise ValueError(f'VideoVQVAE expects (B, C={self.in_channels}, T, H, W), got shape '
                             f'{tuple(x.shape)}')
        t, h, w = x.shape[2:]
        if t % 4 or h % 8 or w % 8:
            raise ValueError(f'VideoVQVAE needs T divisible by 4 and H, W by 8, got T={t}, '
                             f'H={h}, W={w}')

    def features(self, x: torch.Tensor, pre_activation: bool = False
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Encoder outputs ``h_b (B, nh, T/2, H/4, W/4)`` and ``h_t (B, nh, T/4, H/8, W/8)``.

        ``pre_activation`` returns the residual streams before each level's final ReLU instead
        (what the detection backbone uses: after the ReLU most top-level channels are zero,
        which only the 1x1 pre-quantisation conv is trained to tolerate)."""
        self.check(x)
        h_b_pre = self.enc_b[:-1](x)
        h_b_pre = self.enc_b[-1][:-1](h_b_pre)  # res blocks of the stack, without its ReLU
        h_b = torch.relu(h_b_pre)
        h_t_pre = self.enc_t[-1][:-1](self.enc_t[0](h_b))
        if pre_activation:
            return h_b_pre, h_t_pre
        return h_b, torch.relu(h_t_pre)

    def encode(self, x: torch.Tensor):
        """-> (q_t, q_b, commitment loss, top codes (B, T/4, H/8, W/8), bottom codes
        (B, T/2, H/4, W/4))."""
        h_b, h_t = self.features(x)
        q_t, loss_t, idx_t = self.vq_t(self.pre_t(h_t))
        q_b, loss_b, idx_b = self.vq_b(self.pre_b(torch.cat([h_b, self.dec_t(q_t)], 1)))
        return q_t, q_b, loss_t + loss_b, idx_t, idx_b

    def decode(self, q_t: torch.Tensor, q_b: torch.Tensor) -> torch.Tensor:
        return self.dec(torch.cat([q_b, self.up_t(q_t)], 1))

    def decode_codes(self, idx_t: torch.Tensor, idx_b: torch.Tensor) -> torch.Tensor:
        return self.decode(self.vq_t.embed(idx_t), self.vq_b.embed(idx_b))


class ConditioningStack(nn.Module):
    """The priors' view of the observed frames (Walker et al.'s conditioning stack): each of the
    ``n_frames`` frames through a small strided 2D conv net, the frames joined by a 1x1 conv, at
    the bottom codes' resolution ``(B, channels, H/4, W/4)`` and the top's ``(H/8, W/8)``."""

    def __init__(self, in_channels: int, n_frames: int, channels: int = 64) -> None:
        super().__init__()
        self.n_frames = n_frames
        self.down_b = nn.Sequential(
            nn.Conv2d(in_channels, channels // 2, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(channels // 2, channels, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())
        self.down_t = nn.Sequential(nn.Conv2d(channels, channels, 4, 2, 1), nn.ReLU())
        self.join_b = nn.Conv2d(channels * n_frames, channels, 1)
        self.join_t = nn.Conv2d(channels * n_frames, channels, 1)

    def forward(self, frames: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, n_frames, C, H, W)`` -> bottom-resolution and top-resolution maps."""
        if frames.dim() != 5 or frames.shape[1] != self.n_frames:
            raise ValueError(f'ConditioningStack expects (B, {self.n_frames}, C, H, W), got '
                             f'shape {tuple(frames.shape)}')
        b = frames.shape[0]
        f_b = self.down_b(frames.flatten(0, 1))
        f_t = self.down_t(f_b)
        join = lambda f: f.reshape((b, -1) + f.shape[-2:])  # noqa: E731  frames on channels
        return torch.relu(self.join_b(join(f_b))), torch.relu(self.join_t(join(f_t)))
