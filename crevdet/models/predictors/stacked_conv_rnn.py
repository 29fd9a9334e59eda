"""Resolution-preserving stacked recurrent predictors: the paper's "Stacked-RNN" baselines.

Each step feeds one frame (optionally space-to-depth "patched" as in PredRNN's code) through a
stack of recurrent cells at the frame's resolution and maps the top hidden state to the next
frame with a 1x1 conv::

    x_t (B, C, H, W) -> patch p -> (B, C p^2, H/p, W/p) -> L cells (hidden channels each)
        -> 1x1 conv -> (B, C p^2, H/p, W/p) -> unpatch -> x_{t+1} (B, C, H, W)

Closed loop (test time, or ``teacher_forcing=False`` after ``n_past`` frames) feeds the
predicted frame back as the next input. Every hidden state keeps the full (patched) resolution,
which is what makes these baselines memory-hungry.
"""
from typing import List, Optional, Sequence

import torch

from crevdet.models.layers import ConvRNNStack, squeeze, unsqueeze
from crevdet.registry import MODELS
from .base_predictor import BaseVideoPredictor


@MODELS.register_module()
class StackedConvRNN(BaseVideoPredictor):
    """Args (besides :class:`BaseVideoPredictor`'s):
        cell: ``'convlstm'`` (stacked ConvLSTM, Shi et al. 2015) or ``'stlstm'`` (PredRNN, Wang
            et al. 2017, zig-zag spatiotemporal memory).
        num_layers / hidden_channels / kernel_size: the recurrent stack.
        patch_size: space-to-depth factor applied to frames (1: full resolution; PredRNN's
            released Moving MNIST model uses 4).
    """

    def __init__(self, in_channels: int = 3, n_past: int = 10, n_future: int = 10,
                 cell: str = 'convlstm', num_layers: int = 4, hidden_channels: int = 64,
                 kernel_size: int = 3, patch_size: int = 1, teacher_forcing: bool = True,
                 loss_weight: float = 1.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, loss_l1_weight: float = 0.0) -> None:
        super().__init__(in_channels, n_past, n_future, 1, teacher_forcing, loss_weight,
                         data_preprocessor, init_cfg, loss_l1_weight)
        if patch_size < 1:
            raise ValueError(f'patch_size must be >= 1, got {patch_size}')
        self.patch_size = patch_size
        ch = in_channels * patch_size ** 2
        self.stack = ConvRNNStack(ch, hidden_channels, num_layers, cell, kernel_size)
        self.head = torch.nn.Conv2d(hidden_channels, ch, 1)

    def _patch(self, x: torch.Tensor) -> torch.Tensor:
        return squeeze(x, self.patch_size) if self.patch_size > 1 else x

    def _unpatch(self, x: torch.Tensor) -> torch.Tensor:
        return unsqueeze(x, self.patch_size) if self.patch_size > 1 else x

    # the one-step parts of BaseVideoPredictor.rollout (closed loop: the predicted frame)
    def encode_steps(self, frames: torch.Tensor, steps: Sequence[int]) -> List[torch.Tensor]:
        return [self._patch(frames[:, t]) for t in steps]

    def transition(self, x: torch.Tensor, state):
        h, state = self.stack(x, state)
        return h, state, []

    def decode(self, items: list) -> List[torch.Tensor]:
        return [self._unpatch(self.head(h)) for h, _ in items]
