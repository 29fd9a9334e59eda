"""Reversible predictive module (RPM) and the stacked predictor of CrevNet.

One RPM on a latent ``x = cat(x1, x2)`` (``C`` channels, halves of ``C/2``)::

    h_t   = ConvRNN(x1_t, h_{t-1})                 hidden_channels
    h_t   = ConvRNN([x1_t, x1_t - x1_{t-1}], h_{t-1})   with diff_input=True
    h_t   = ConvRNN(x1_t - x1_{t-1}, h_{t-1})           with diff_input='only'
    hp_t  = W_p * h_t                              1x1 projection to C/2
    g_t   = sigmoid(W2 * ReLU(W1 * h_t + b1) + b2) attention mask, C/2 channels in [0, 1]
    x2'_t = x2_t + g_t * hp_t                      update='residual' (default)
    x2'_t = (1 - g_t) * x2_t + g_t * hp_t          update='convex'   (the paper, eq. 4)
    x2'_t = (1 - a g_t) * x2_t + a g_t * hp_t      update='scaled_convex', a = tanh(k * alpha)
                                                   per channel, alpha = 0 at initialisation
    out   = cat(x2'_t, x1_t)                       halves swapped for the next module

``x1`` passes unchanged, so given ``h_{t-1}`` the module is invertible (conditional
reversibility, paper eq. 5): ``x2 = x2' - g * hp`` (residual) or ``(x2' - g * hp) / (1 - g)``
(convex; with ``g -> a * g``, ``|a g| < 1``, for scaled_convex). ``diff_input=True`` also hands
the cell the temporal difference of ``x1`` (its value at the previous step is part of the
state), so motion is an input rather than something the cell must first build in its memory;
the inverse still sees ``x1`` unchanged, so reversibility holds.

Both ``'residual'`` (the class default) and ``'scaled_convex'`` (CrevNet's configs) are *exactly*
the identity at initialisation (``W_p = 0``, resp. ``a = 0``), so together with a zero-initialised
autoencoder an untrained CrevNet predicts exactly the last observed frame, closed loop, at every
step. The paper's convex mix cannot start there: ``g = sigmoid(.)`` is never 0, so each module
shrinks ``x2`` by ``1 - g`` (8 modules with ``g ~ 0.05`` scale the latent by ~0.82 per step,
compounding in closed loop) and adds ``g * hp`` noise. ``'scaled_convex'`` keeps the paper's
convex form (``x2`` is pulled towards ``hp``, which bounds the latent in closed loop) and learned
fastest on Moving MNIST; the learning curves of all three: docs/design/deviations.md.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from crevdet.registry import MODELS
from .conv_norm import conv_nd
from .conv_rnn import ConvLSTMCell, build_cell
from .recurrent_stack import RecurrentStack, State
UPDATES = ('residual', 'convex', 'scaled_convex')


def swap_halves(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, 1)
    return torch.cat([x2, x1], 1)


class RPM(nn.Module):
    """One reversible predictive module on ``(B, C, H, W)`` or ``(B, C, T, H, W)`` latents.

    Args:
        channels: latent channels ``C`` (even).
        hidden_channels: recurrent hidden size.
        cell: ``'convlstm'`` or ``'stlstm'``.
        conv_dim: 2 or 3.
        update: ``'residual'`` / ``'scaled_convex'`` (identity at initialisation) or
            ``'convex'`` (the paper).
        gate_bias: initial bias of the gate logits; ``None`` keeps PyTorch's default (the
            authors' code: no special initialisation, ``g ~ 0.5``).
        zero_init_proj: zero-initialise ``W_p`` (default: with ``update='residual'``), so the
            module starts as the identity.
        strength_scale: ``k`` of ``update='scaled_convex'``. Adam moves a parameter by about
            its learning rate per step, so with ``k = 1`` the strength ``a`` would need ~1000
            steps of lr 5e-4 to reach 0.5; ``k = 10`` gets there in ~100.
        bias: additive biases in the recurrent cell and ``W_p``. ``False``: a region where the
            latent is zero (and was zero before) gets exactly no update, so black stays black.
        diff_input: ``True``: the cell also gets ``x1_t - x1_{t-1}`` (zero at the first step);
            ``'only'``: it gets only that difference, so with ``bias=False`` a still scene
            (zero difference) gets exactly no update: the module extrapolates motion.
        fused_heads: compute the two 1x1 convolutions ``W_p`` (on ``h``) and ``W2`` (gate
            logits, on ``ReLU(W1 * h + b1)``) as one grouped convolution (``groups=2``) over
            ``cat(h, ReLU(W1 * h + b1))``: the same arithmetic and FLOPs, one convolution
            (and one in backward) instead of two per module and step. ``None`` (default):
            only inside ``torch.compile`` (``CrevNet(compile=...)``), where the weight and
            input concatenations fuse into neighbouring kernels; in eager mode they would be
            launches of their own and cost more than the convolution they save. Parameters
            and state-dict keys are unchanged (``proj``, ``att2``), so checkpoints load
            either way; outputs and gradients agree to float rounding (tested).
        gate_output: the mask :meth:`forward` returns: ``'mix'`` (default: what mixes ``x2``
            and ``hp``, ``a * g`` for ``scaled_convex``) or ``'attention'`` (``g`` itself,
            before the strength ``a`` scales it). The network is the same either way.
    """

    def __init__(self, channels: int, hidden_channels: int = 32, cell: str = 'convlstm',
                 conv_dim: int = 2, kernel_size: int = 3, update: str = 'residual',
                 gate_bias: Optional[float] = None, zero_init_proj: Optional[bool] = None,
                 bias: bool = True, strength_scale: float = 10.0,
                 diff_input=False, fused_heads: Optional[bool] = None,
                 gate_output: str = 'mix') -> None:
        super().__init__()
        if channels % 2:
            raise ValueError(f'RPM needs an even channel count, got {channels}')
        if update not in UPDATES:
            raise ValueError(f'RPM update must be one of {UPDATES}, got {update!r}')
        half = channels // 2
        conv = conv_nd(conv_dim)
        if diff_input not in (False, True, 'only'):
            raise ValueError(f"RPM diff_input must be False, True or 'only', got {diff_input!r}")
        self.update, self.diff_input, self.fused_heads = update, diff_input, fused_heads
        # the mask forward() returns: 'mix' (what mixes x2 and hp: a * g for scaled_convex) or
        # 'attention' (g itself: VideoPredictorBackbone(masks='attention') asks for it)
        if gate_output not in ('mix', 'attention'):
            raise ValueError(f"RPM gate_output must be 'mix' or 'attention', got {gate_output!r}")
        self.gate_output = gate_output
        self.conv_dim = conv_dim
        self.cell = build_cell(cell, half * (2 if diff_input is True else 1), hidden_channels,
                               kernel_size, conv_dim, bias)
        # a motion-only ConvLSTM without biases sees a zero input (no difference yet) and a zero
        # state at the first step from an empty state: every gate pre-activation is 0, so
        # c = 0.5 * 0 + 0.5 * tanh(0) = 0 and h = 0.5 * tanh(0) = 0 exactly, whatever the
        # weights (peepholes multiply c = 0). The first step then skips the cell's convolution:
        # the same bits forward and backward (its weights' gradient there is exactly zero).
        self.zero_first_step = (diff_input == 'only' and not bias
                                and type(self.cell) is ConvLSTMCell)
        self.proj = conv(hidden_channels, half, 1, bias=bias)
        self.att1 = conv(hidden_channels, hidden_channels, 3, padding=1)
        self.att2 = conv(hidden_channels, half, 1)
        if gate_bias is not None:
            nn.init.constant_(self.att2.bias, gate_bias)
        if update == 'scaled_convex':
            # the mixing strength a = tanh(k * alpha) starts at 0 (identity) with gradient
            # k * g * (hp - x2) * dL/dx2'; |a * g| < 1 keeps the module invertible
            self.alpha = nn.Parameter(torch.zeros((1, half) + (1, ) * conv_dim))
            self.strength_scale = strength_scale
        if update == 'residual' if zero_init_proj is None else zero_init_proj:
            # hp = 0: the update g * hp vanishes, yet its gradient w.r.t. W_p (g * h * dL/dx2')
            # does not, so the module leaves the identity from the first step on
            nn.init.zeros_(self.proj.weight)
            if self.proj.bias is not None:
                nn.init.zeros_(self.proj.bias)

    def _mix_terms(self, x1, state, m, x1_prev=None, fresh=False):
        if fresh and self.zero_first_step:  # see __init__: h = c = 0 exactly
            h = x1.new_zeros((x1.shape[0], self.att1.in_channels) + x1.shape[2:])
            new_state = (h, torch.zeros_like(h))
        else:
            inp = x1
            if self.diff_input:
                diff = torch.zeros_like(x1) if x1_prev is None else x1 - x1_prev
                inp = diff if self.diff_input == 'only' else torch.cat([x1, diff], 1)
            h, new_state, m = self.cell(inp, state, m)
        hp, logits = self._heads(h, torch.relu(self.att1(h)))
        attention = g = torch.sigmoid(logits)
        if self.update == 'scaled_convex':
            g = g * torch.tanh(self.strength_scale * self.alpha)
        return hp, g, new_state, m, attention

    def _heads(self, h, a):
        """``(W_p * h, W2 * a + b2)``: the projection and the gate logits, ``C/2`` channels each."""
        fused = (torch.compiler.is_compiling() if self.fused_heads is None
                 else self.fused_heads)
        if not fused:
            return self.proj(h), self.att2(a)
        # groups=2 over cat(h, a): group 0 is W_p on h, group 1 is W2 on a (both 1x1, equal
        # in/out widths), so no weight is wasted and autograd splits the gradients back
        weight = torch.cat([self.proj.weight, self.att2.weight])
        proj_bias = (self.proj.bias if self.proj.bias is not None
                     else torch.zeros_like(self.att2.bias))
        conv = F.conv2d if self.conv_dim == 2 else F.conv3d
        out = conv(torch.cat([h, a], 1), weight, torch.cat([proj_bias, self.att2.bias]),
                   groups=2)
        return out.chunk(2, 1)

    def forward(self, x, state, m=None, x1_prev=None, fresh=False):
        """Returns ``(out, new_state, gate, m_out)``. ``x1_prev``: this module's ``x1`` at the
        previous step (``diff_input`` only; ``None`` at the first step). ``fresh``: ``state``
        is the zero initial state (the first step from an empty state)."""
        x1, x2 = x.chunk(2, 1)
        hp, g, state, m, attention = self._mix_terms(x1, state, m, x1_prev, fresh)
        x2 = x2 + g * hp if self.update == 'residual' else (1 - g) * x2 + g * hp
        return (torch.cat([x2, x1], 1), state,
                attention if self.gate_output == 'attention' else g, m)

    def inverse(self, out, prev_state, m=None, x1_prev=None):
        """Input ``x`` of :meth:`forward` from its output and the *previous* recurrent state."""
        x2n, x1 = out.chunk(2, 1)
        hp, g, _, _, _ = self._mix_terms(x1, prev_state, m, x1_prev)
        x2 = x2n - g * hp if self.update == 'residual' else (x2n - g * hp) / (1 - g)
        return torch.cat([x1, x2], 1)


@MODELS.register_module()
class RPMPredictor(RecurrentStack):
    """A stack of ``num_layers`` RPMs applied once per time step.

    Each RPM swaps the two halves; after an odd number of RPMs the stack swaps them back, so the
    output latent has the input's channel order (an identity-initialised stack is the identity).

    State per call (a dict, created by :meth:`init_state`): ``h``/``c`` lists per layer and, for
    ST-LSTM cells, the zig-zag memory ``m`` leaving the top layer (entering layer 0 next step);
    with ``diff_input``, ``x1``: each layer's ``x1`` of the last step (``None`` before the first).

    Args:
        channels: latent channels ``C`` (autoencoder ``out_channels``).
        num_layers: number of RPMs (paper/authors: 8).
        hidden_channels: recurrent hidden size (authors' Moving MNIST: 32).
        cell: ``'convlstm'`` or ``'stlstm'``.
        conv_dim: 2 or 3 (3D convolutions over k-frame clip latents).
        update / gate_bias / zero_init_proj / bias / strength_scale / diff_input /
            fused_heads / gate_output: see :class:`RPM`.
    """

    def __init__(self, channels: int, num_layers: int = 8, hidden_channels: int = 32,
                 cell: str = 'convlstm', conv_dim: int = 2, kernel_size: int = 3,
                 update: str = 'residual', gate_bias: Optional[float] = None,
                 zero_init_proj: Optional[bool] = None, bias: bool = True,
                 strength_scale: float = 10.0, diff_input=False,
                 fused_heads: Optional[bool] = None, gate_output: str = 'mix') -> None:
        super().__init__(num_layers, hidden_channels, cell)
        self.layers = nn.ModuleList(
            RPM(channels, hidden_channels, cell, conv_dim, kernel_size, update, gate_bias,
                zero_init_proj, bias, strength_scale, diff_input, fused_heads, gate_output)
            for _ in range(num_layers))
        self.diff_input = diff_input

    def init_state(self, z: torch.Tensor) -> State:
        return dict(super().init_state(z), x1=[None] * self.num_layers)

    def forward(self, z: torch.Tensor, state: Optional[State] = None
                ) -> Tuple[torch.Tensor, State, List[torch.Tensor]]:
        """One time step: latent ``z_t`` -> predicted latent of the next step.

        Returns ``(z_next, new_state, gates)`` with one ``(B, C/2, ...)`` mask per RPM. For
        ST-LSTM, ``new_state['m_in']`` records the memory that entered each layer (what
        :meth:`inverse` needs, since within a step layer l's memory comes from layer l-1).
        """
        fresh = state is None  # the zero initial state: RPM.zero_first_step may apply
        if fresh:
            state = self.init_state(z)
        m = state['m']
        x1_prev = state.get('x1') or [None] * len(self.layers)
        hs, cs, gates, m_in, x1s = [], [], [], [], []
        for i, layer in enumerate(self.layers):
            m_in.append(m)
            x1s.append(z.chunk(2, 1)[0] if self.diff_input else None)
            z, (h, c), g, m = layer(z, (state['h'][i], state['c'][i]), m, x1_prev[i], fresh)
            hs.append(h)
            cs.append(c)
            gates.append(g)
        if len(self.layers) % 2:
            z = swap_halves(z)
        return z, dict(h=hs, c=cs, m=m, m_in=m_in, x1=x1s), gates

    def inverse(self, z_next: torch.Tensor, prev_state: State,
                m_in: Optional[List[torch.Tensor]] = None) -> torch.Tensor:
        """Conditional reversibility: recover the input latent of :meth:`forward` from its output
        given the state *before* that step. ST-LSTM stacks also need ``m_in`` (the new state's
        ``'m_in'``): their zig-zag memory makes layer l depend on layer l-1 within the step."""
        if self.uses_memory and m_in is None:
            raise ValueError('RPMPredictor.inverse with ST-LSTM cells needs m_in (the memory that '
                             "entered each layer: new_state['m_in'] returned by forward)")
        z = swap_halves(z_next) if len(self.layers) % 2 else z_next
        x1_prev = prev_state.get('x1') or [None] * len(self.layers)
        for i in reversed(range(len(self.layers))):
            z = self.layers[i].inverse(z, (prev_state['h'][i], prev_state['c'][i]),
                                       m_in[i] if self.uses_memory else None, x1_prev[i])
        return z
