"""What every stack of convolutional recurrent cells shares (:class:`ConvRNNStack` of the
stacked-RNN baselines, :class:`RPMPredictor` of CrevNet): the per-layer recurrent state.

State per step, a dict: ``h`` and ``c``, one ``(B, hidden_channels, ...)`` tensor per layer at the
input's resolution, and ``m``, the ST-LSTM zig-zag memory (layer l -> l+1 within a step, top
layer -> layer 0 of the next step; None for ConvLSTM cells). Subclasses may add entries.
"""
from typing import Dict

import torch
from torch import nn

State = Dict[str, object]


class RecurrentStack(nn.Module):
    """Base of the recurrent stacks: checks ``num_layers`` and builds the zero initial state."""

    def __init__(self, num_layers: int, hidden_channels: int, cell: str) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f'{type(self).__name__} needs num_layers >= 1, got {num_layers}')
        self.num_layers, self.hidden_channels = num_layers, hidden_channels
        self.uses_memory = cell == 'stlstm'

    def init_state(self, x: torch.Tensor) -> State:
        """Zeros for every layer, shaped like ``x`` with ``hidden_channels`` channels."""
        shape = (x.shape[0], self.hidden_channels) + tuple(x.shape[2:])
        zeros = lambda: x.new_zeros(shape)  # noqa: E731
        return dict(h=[zeros() for _ in range(self.num_layers)],
                    c=[zeros() for _ in range(self.num_layers)],
                    m=zeros() if self.uses_memory else None)
