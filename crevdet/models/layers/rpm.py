"""Reversible predictive module (RPM) and the stacked predictor of CrevNet.

One RPM on a latent ``x = cat(x1, x2)`` (``C`` channels, halves of ``C/2``)::

    h_t   = ConvRNN(x1_t, h_{t-1})                 hidden_channels
    hp_t  = W_p * h_t                              1x1 projection to C/2
    g_t   = sigmoid(W2 * ReLU(W1 * h_t + b1) + b2) attention mask, C/2 channels in [0, 1]
    x2'_t = (1 - g_t) * x2_t + g_t * hp_t
    out   = cat(x2'_t, x1_t)                       halves swapped for the next module

``x1`` passes unchanged, so given ``h_{t-1}`` the module is invertible:
``x2 = (x2' - g * hp) / (1 - g)`` (conditional reversibility, paper eq. 5 / appendix B).
"""
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn

from .conv_rnn import build_cell
from .coupling import conv_nd

State = Dict[str, object]


class RPM(nn.Module):
    """One reversible predictive module on ``(B, C, H, W)`` or ``(B, C, T, H, W)`` latents.

    ``gate_bias`` initialises the attention gate's bias (see ``__init__``)."""

    def __init__(self, channels: int, hidden_channels: int = 32, cell: str = 'convlstm',
                 conv_dim: int = 2, kernel_size: int = 3, gate_bias: float = -3.0) -> None:
        super().__init__()
        if channels % 2:
            raise ValueError(f'RPM needs an even channel count, got {channels}')
        half = channels // 2
        conv = conv_nd(conv_dim)
        self.cell = build_cell(cell, half, hidden_channels, kernel_size, conv_dim)
        self.proj = conv(hidden_channels, half, 1)
        self.att1 = conv(hidden_channels, hidden_channels, 3, padding=1)
        self.att2 = conv(hidden_channels, half, 1)
        # g starts near sigmoid(-3) = 0.05: each RPM starts close to the identity (x2' ~ x2), so
        # an even stack initially predicts "copy the last frame" and learns the change from there
        nn.init.constant_(self.att2.bias, gate_bias)

    def _mix_terms(self, x1, state, m):
        h, new_state, m = self.cell(x1, state, m)
        g = torch.sigmoid(self.att2(torch.relu(self.att1(h))))
        return self.proj(h), g, new_state, m

    def forward(self, x, state, m=None):
        """Returns ``(out, new_state, gate, m_out)``."""
        x1, x2 = x.chunk(2, 1)
        hp, g, state, m = self._mix_terms(x1, state, m)
        x2 = (1 - g) * x2 + g * hp
        return torch.cat([x2, x1], 1), state, g, m

    def inverse(self, out, prev_state, m=None):
        """Input ``x`` of :meth:`forward` from its output and the *previous* recurrent state."""
        x2n, x1 = out.chunk(2, 1)
        hp, g, _, _ = self._mix_terms(x1, prev_state, m)
        return torch.cat([x1, (x2n - g * hp) / (1 - g)], 1)


class RPMPredictor(nn.Module):
    """A stack of ``num_layers`` RPMs applied once per time step.

    State per call (a dict, created by :meth:`init_state`): ``h``/``c`` lists per layer and, for
    ST-LSTM cells, the zig-zag memory ``m`` leaving the top layer (entering layer 0 next step).

    Args:
        channels: latent channels ``C`` (autoencoder ``out_channels``).
        num_layers: number of RPMs (paper/authors: 8).
        hidden_channels: recurrent hidden size (authors' Moving MNIST: 32).
        cell: ``'convlstm'`` or ``'stlstm'``.
        conv_dim: 2 or 3 (3D convolutions over k-frame clip latents).
    """

    def __init__(self, channels: int, num_layers: int = 8, hidden_channels: int = 32,
                 cell: str = 'convlstm', conv_dim: int = 2, kernel_size: int = 3) -> None:
        super().__init__()
        self.hidden_channels = hidden_channels
        self.uses_memory = cell == 'stlstm'
        self.layers = nn.ModuleList(
            RPM(channels, hidden_channels, cell, conv_dim, kernel_size) for _ in range(num_layers))

    def init_state(self, z: torch.Tensor) -> State:
        shape = (z.shape[0], self.hidden_channels) + tuple(z.shape[2:])
        zeros = lambda: z.new_zeros(shape)  # noqa: E731
        return dict(h=[zeros() for _ in self.layers], c=[zeros() for _ in self.layers],
                    m=zeros() if self.uses_memory else None)

    def forward(self, z: torch.Tensor, state: Optional[State] = None
                ) -> Tuple[torch.Tensor, State, List[torch.Tensor]]:
        """One time step: latent ``z_t`` -> predicted latent of the next step.

        Returns ``(z_next, new_state, gates)`` with one ``(B, C/2, ...)`` mask per RPM. For
        ST-LSTM, ``new_state['m_in']`` records the memory that entered each layer (what
        :meth:`inverse` needs, since within a step layer l's memory comes from layer l-1).
        """
        if state is None:
            state = self.init_state(z)
        m = state['m']
        hs, cs, gates, m_in = [], [], [], []
        for i, layer in enumerate(self.layers):
            m_in.append(m)
            z, (h, c), g, m = layer(z, (state['h'][i], state['c'][i]), m)
            hs.append(h)
            cs.append(c)
            gates.append(g)
        return z, dict(h=hs, c=cs, m=m, m_in=m_in), gates

    def inverse(self, z_next: torch.Tensor, prev_state: State,
                m_in: Optional[List[torch.Tensor]] = None) -> torch.Tensor:
        """Conditional reversibility: recover the input latent of :meth:`forward` from its output
        given the state *before* that step. ST-LSTM stacks also need ``m_in`` (the new state's
        ``'m_in'``): their zig-zag memory makes layer l depend on layer l-1 within the step."""
        if self.uses_memory and m_in is None:
            raise ValueError('RPMPredictor.inverse with ST-LSTM cells needs m_in (the memory that '
                             "entered each layer: new_state['m_in'] returned by forward)")
        z = z_next
        for i in reversed(range(len(self.layers))):
            z = self.layers[i].inverse(z, (prev_state['h'][i], prev_state['c'][i]),
                                       m_in[i] if self.uses_memory else None)
        return z
