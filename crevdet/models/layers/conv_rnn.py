"""Convolutional recurrent cells, 2D ``(B, C, H, W)`` or 3D ``(B, C, T, H, W)``.

* :class:`ConvLSTMCell` — Shi et al. 2015 with the peephole terms of CrevNet's appendix A. The
  peephole weights are per channel (``(C, 1, 1)``), not per pixel, so one model runs at any
  resolution.
* :class:`STLSTMCell` — PredRNN's spatiotemporal LSTM: besides ``(h, c)`` it updates a memory ``m``
  that the caller threads zig-zag through the stack (layer l -> l+1 within a step, top layer ->
  bottom layer of the next step).

``bias=False`` drops the additive biases of the convolutions: a cell whose input and state are zero
then outputs exactly zero (with zero state), so a zero region of a latent stays zero.
"""
from typing import Optional, Tuple

import torch
from torch import nn

from .conv_norm import conv_nd


class ConvLSTMCell(nn.Module):
    """``(x, (h, c)) -> (h', c')``; x has ``in_channels``, h/c have ``hidden_channels``."""

    has_memory = False

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3,
                 conv_dim: int = 2, peephole: bool = True, bias: bool = True) -> None:
        super().__init__()
        conv = conv_nd(conv_dim)
        self.hidden_channels = hidden_channels
        self.conv = conv(in_channels + hidden_channels, 4 * hidden_channels, kernel_size,
                         padding=kernel_size // 2, bias=bias)
        shape = (hidden_channels,) + (1,) * conv_dim
        self.peephole = peephole
        if peephole:
            self.w_ci = nn.Parameter(torch.zeros(shape))
            self.w_cf = nn.Parameter(torch.zeros(shape))
            self.w_co = nn.Parameter(torch.zeros(shape))

    def forward(self, x: torch.Tensor, state: Tuple[torch.Tensor, torch.Tensor],
                m: Optional[torch.Tensor] = None):
        h, c = state
        i, f, g, o = self.conv(torch.cat([x, h], 1)).chunk(4, 1)
        if self.peephole:
            i = i + self.w_ci * c
            f = f + self.w_cf * c
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        if self.peephole:
            o = o + self.w_co * c
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, (h, c), None


class STLSTMCell(nn.Module):
    """PredRNN ST-LSTM: ``(x, (h, c), m) -> (h', (h', c'), m')``; m has ``hidden_channels``."""

    has_memory = True

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3,
                 conv_dim: int = 2, forget_bias: float = 1.0, bias: bool = True) -> None:
        super().__init__()
        conv = conv_nd(conv_dim)
        p = kernel_size // 2
        hc = hidden_channels
        self.hidden_channels = hc
        self.forget_bias = forget_bias
        self.conv_x = conv(in_channels, 7 * hc, kernel_size, padding=p, bias=bias)
        self.conv_h = conv(hc, 4 * hc, kernel_size, padding=p, bias=bias)
        self.conv_m = conv(hc, 3 * hc, kernel_size, padding=p, bias=bias)
        self.conv_o = conv(2 * hc, hc, kernel_size, padding=p, bias=bias)
        self.conv_last = conv(2 * hc, hc, 1, bias=bias)

    def forward(self, x: torch.Tensor, state: Tuple[torch.Tensor, torch.Tensor],
                m: torch.Tensor):
        h, c = state
        xi, xf, xg, xi_m, xf_m, xg_m, xo = self.conv_x(x).chunk(7, 1)
        hi, hf, hg, ho = self.conv_h(h).chunk(4, 1)
        mi, mf, mg = self.conv_m(m).chunk(3, 1)
        c = (torch.sigmoid(xf + hf + self.forget_bias) * c
             + torch.sigmoid(xi + hi) * torch.tanh(xg + hg))
        m = (torch.sigmoid(xf_m + mf + self.forget_bias) * m
             + torch.sigmoid(xi_m + mi) * torch.tanh(xg_m + mg))
        cm = torch.cat([c, m], 1)
        o = torch.sigmoid(xo + ho + self.conv_o(cm))
        h = o * torch.tanh(self.conv_last(cm))
        return h, (h, c), m


CELLS = {'convlstm': ConvLSTMCell, 'stlstm': STLSTMCell}


def build_cell(cell: str, in_channels: int, hidden_channels: int, kernel_size: int = 3,
               conv_dim: int = 2, bias: bool = True) -> nn.Module:
    if cell not in CELLS:
        raise ValueError(f'unknown recurrent cell {cell!r}; expected one of {sorted(CELLS)}')
    return CELLS[cell](in_channels, hidden_channels, kernel_size, conv_dim, bias=bias)
