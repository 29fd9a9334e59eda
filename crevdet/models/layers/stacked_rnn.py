"""Stacks of convolutional recurrent cells (the paper's "Stacked-RNN" baselines).

:class:`ConvRNNStack` runs ``num_layers`` cells once per time step on ``(B, C, H, W)`` inputs;
layer ``l`` reads layer ``l-1``'s hidden state. With ST-LSTM cells (PredRNN) the spatiotemporal
memory ``m`` zig-zags: layer l -> l+1 within a step, top layer -> layer 0 of the next step.
:class:`StackedRNNPredictor` wraps a stack as a latent predictor with :class:`RPMPredictor`'s
interface (``z_t -> z_{t+1}``), for the UNet + stacked-RNN ablation.
"""
from typing import List, Optional, Tuple

import torch
from torch import nn

from crevdet.registry import MODELS
from .conv_norm import conv_nd
from .conv_rnn import build_cell
from .recurrent_stack import RecurrentStack, State


class ConvRNNStack(RecurrentStack):
    """``num_layers`` cells; input ``in_channels``, every layer ``hidden_channels``.

    Args:
        cell: ``'convlstm'`` or ``'stlstm'``.
    """

    def __init__(self, in_channels: int, hidden_channels: int = 64, num_layers: int = 4,
                 cell: str = 'convlstm', kernel_size: int = 3, conv_dim: int = 2) -> None:
        super().__init__(num_layers, hidden_channels, cell)
        self.cells = nn.ModuleList(
            build_cell(cell, in_channels if i == 0 else hidden_channels, hidden_channels,
                       kernel_size, conv_dim) for i in range(num_layers))

    def forward(self, x: torch.Tensor, state: Optional[State] = None
                ) -> Tuple[torch.Tensor, State]:
        """One step: ``x (B, C_in, ...)`` -> top hidden state ``(B, hidden, ...)`` and new state."""
        if state is None:
            state = self.init_state(x)
        m = state['m']
        hs: List[torch.Tensor] = []
        cs: List[torch.Tensor] = []
        for i, cell in enumerate(self.cells):
            x, (h, c), m = cell(x, (state['h'][i], state['c'][i]), m)
            hs.append(h)
            cs.append(c)
        return x, dict(h=hs, c=cs, m=m)


@MODELS.register_module()
class StackedRNNPredictor(nn.Module):
    """Latent predictor ``z_t (B, C, ...) -> z_{t+1}``: a :class:`ConvRNNStack` and a 1x1
    projection of its top hidden state back to ``C`` channels. Returns ``(z_next, state, [])``
    (no attention masks) like :class:`RPMPredictor`."""

    def __init__(self, channels: int, num_layers: int = 4, hidden_channels: int = 64,
                 cell: str = 'convlstm', conv_dim: int = 2, kernel_size: int = 3) -> None:
        super().__init__()
        self.stack = ConvRNNStack(channels, hidden_channels, num_layers, cell, kernel_size,
                                  conv_dim)
        self.proj = conv_nd(conv_dim)(hidden_channels, channels, 1)

    def forward(self, z: torch.Tensor, state: Optional[State] = None
                ) -> Tuple[torch.Tensor, State, list]:
        h, state = self.stack(z, state)
        return self.proj(h), state, []
