"""ConvLSTM encoder-decoder (sequence to sequence), the classic Shi et al. 2015 recipe as the
popular PyTorch tutorials implement it::

    observe:  for t < n_past:    h1 = enc1(x_t);  h2 = enc2(h1)
    predict:  v = h2 (the last encoder state)
              for k < n_future:  h3 = dec1(v);    h4 = dec2(h3);  v = h4   (autoregressive)
    output:   sigmoid(Conv3d_(1,3,3)(stack(h4_1 .. h4_n_future)))   (B, C, n_future, H, W)

The decoder never sees a future ground-truth frame, so there is no teacher forcing and the loss
covers the ``n_future`` predicted frames only.
"""
from typing import Optional, Tuple

import torch
from torch import nn

from crevdet.models.layers import ConvLSTMCell
from crevdet.registry import MODELS
from .base_predictor import BaseVideoPredictor


@MODELS.register_module()
class ConvLSTMSeq2Seq(BaseVideoPredictor):
    """Args (besides :class:`BaseVideoPredictor`'s): ``hidden_channels`` of all four ConvLSTM
    layers (tutorials: 64) and their ``kernel_size``; ``peephole`` terms (tutorials: none)."""

    loss_from = 'future'

    def __init__(self, in_channels: int = 3, n_past: int = 10, n_future: int = 10,
                 hidden_channels: int = 64, kernel_size: int = 3, peephole: bool = False,
                 loss_weight: float = 1.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, loss_l1_weight: float = 0.0) -> None:
        super().__init__(in_channels, n_past, n_future, 1, False, loss_weight,
                         data_preprocessor, init_cfg, loss_l1_weight)
        self.hidden_channels = hidden_channels

        def cell(c_in):
            return ConvLSTMCell(c_in, hidden_channels, kernel_size, 2, peephole)
        self.enc1, self.enc2 = cell(in_channels), cell(hidden_channels)
        self.dec1, self.dec2 = cell(hidden_channels), cell(hidden_channels)
        self.head = nn.Conv3d(hidden_channels, in_channels, (1, 3, 3), padding=(0, 1, 1))

    def rollout(self, frames: torch.Tensor, n_past: int, n_future: int,
                teacher_forcing: bool = False, decode_from: Optional[int] = None
                ) -> Tuple[torch.Tensor, list]:
        """Observes ``n_past`` frames and predicts ``n_future``; only future frames exist, so
        ``decode_from`` must be >= ``n_past - 1`` (``teacher_forcing`` is ignored)."""
        self._check_frames(frames, n_past)
        decode_from = n_past - 1 if decode_from is None else decode_from
        if decode_from < n_past - 1:
            raise ValueError(f'ConvLSTMSeq2Seq predicts only the frames after the n_past={n_past} '
                             f'observed ones; decode_from={decode_from} asks for earlier ones')
        b, _, _, h, w = frames.shape
        zeros = lambda: frames.new_zeros(b, self.hidden_channels, h, w)  # noqa: E731
        s1, s2, s3, s4 = [(zeros(), zeros()) for _ in range(4)]
        for t in range(n_past):
            h1, s1, _ = self.enc1(frames[:, t], s1)
            v, s2, _ = self.enc2(h1, s2)
        outs = []
        for _ in range(n_future):
            h3, s3, _ = self.dec1(v, s3)
            v, s4, _ = self.dec2(h3, s4)
            outs.append(v)
        pred = torch.sigmoid(self.head(torch.stack(outs, 2)))  # (B, C, n_future, H, W)
        pred = pred.transpose(1, 2)[:, decode_from - (n_past - 1):]
        return pred, [[] for _ in range(n_past + n_future - 1)]
