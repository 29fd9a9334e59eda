"""Autoregressive priors over discrete latent codes: gated PixelCNNs with a vertical and a
horizontal stack (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN
Decoders"), extended causally in time for video codes (Walker et al. 2021).

Order: a cube ``(T, H, W)`` of codes is generated time slice by time slice, each slice in raster
order. A single masked-convolution stack has a blind spot (the positions above and to the right
are never seen); the two stacks have none:

* the **vertical stack** at ``(y, x)`` sees the rows ``<= y`` (a ``(k//2 + 1, k)`` kernel padded
  above); it reaches the horizontal stack only shifted down by one row, i.e. rows ``< y``;
* the **horizontal stack** at ``(y, x)`` sees row ``y`` left of ``x`` (a ``(1, k//2 + 1)`` kernel
  padded on the left, shifted right by one in the first layer so no position sees its own code);
  its output is the prior's;
* the **temporal stack** (video) at slice ``t`` sees slices ``< t`` whole (a ``(kt, k, k)`` 3D
  kernel shifted one slice into the past) and adds its features to both stacks as a bias;
* :class:`CausalSelfAttention` on the horizontal stack attends to the position itself and
  every earlier one in ``(t, y, x)`` order, its keys and values carrying the codes shifted by
  one position: with attention, a position sees *every* earlier code of the cube.

Every earlier position inside the receptive field is seen and no later or same one
(``tests/test_models/test_predictors/test_stochastic.py`` checks it by gradients over the whole
field).
"""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn


def _shift_down(x: torch.Tensor) -> torch.Tensor:
    return F.pad(x, (0, 0, 1, 0))[..., :-1, :]


def _shift_right(x: torch.Tensor) -> torch.Tensor:
    return F.pad(x, (1, 0))[..., :-1]


def _gate(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2, 1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedStackLayer(nn.Module):
    """One layer of the two stacks on ``(N, C, H, W)`` maps, with an optional bias
    ``(N, 2C, H, W)`` (conditioning and/or the temporal stack) added to both gates. The first
    layer hides each position's own code from the horizontal stack and has no residual."""

    def __init__(self, channels: int, kernel_size: int = 3, first: bool = False) -> None:
        super().__init__()
        if kernel_size < 3 or kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be odd and >= 3, got {kernel_size}')
        k2 = kernel_size // 2
        self.k2, self.first = k2, first
        self.v_conv = nn.Conv2d(channels, 2 * channels, (k2 + 1, kernel_size))
        self.h_conv = nn.Conv2d(channels, 2 * channels, (1, k2 + 1))
        self.v_to_h = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.h_out = nn.Conv2d(channels, channels, 1)

    def forward(self, v: torch.Tensor, h: torch.Tensor, bias: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        k2 = self.k2
        v2 = self.v_conv(F.pad(v, (k2, k2, k2, 0)))  # rows y-k2..y, columns x-k2..x+k2
        h2 = self.h_conv(F.pad(h, (k2, 0)))  # columns x-k2..x of row y
        if self.first:
            h2 = _shift_right(h2)  # columns < x: the position's own code stays hidden
        h2 = h2 + self.v_to_h(_shift_down(v2))  # the vertical stack's rows < y
        if bias is not None:
            v2, h2 = v2 + bias, h2 + bias
        h_new = self.h_out(_gate(h2))
        return _gate(v2), (h_new if self.first else h + h_new)


class CausalSelfAttention(nn.Module):
    """Pre-norm multi-head self-attention over ``(B, C, T, H, W)`` in ``(t, y, x)`` order: a
    position attends to itself and every earlier one. The keys and values also carry the
    embedded codes ``e`` shifted one position along that order (PixelSNAIL's way), so position
    ``p`` reads the code of every ``q < p`` directly, never its own."""

    def __init__(self, channels: int, num_heads: int = 4) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.code = nn.Linear(channels, channels)
        self.attn = nn.MultiheadAttention(channels, num_heads, batch_first=True)

    def forward(self, x: torch.Tensor, e: Optional[torch.Tensor] = None) -> torch.Tensor:
        seq = x.flatten(2).transpose(1, 2)  # (B, L, C)
        n = seq.shape[1]
        causal = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)  # True = hidden
        q = self.norm(seq)
        kv = q
        if e is not None:  # position p's key/value gets the code of p - 1
            kv = q + self.code(F.pad(e.flatten(2).transpose(1, 2), (0, 0, 1, 0))[:, :-1])
        out, _ = self.attn(q, kv, kv, attn_mask=causal, need_weights=False)
        return x + out.transpose(1, 2).reshape(x.shape)


class _GatedStacks(nn.Module):
    """Embedding, ``num_layers`` gated stack layers and a 1x1 head to ``num_codes`` logits, on
    ``(B, C, T, H, W)`` embedded codes (each slice's stacks are 2D; earlier slices and any
    conditioning arrive as per-layer biases)."""

    def __init__(self, num_codes: int, channels: int, num_layers: int, kernel_size: int,
                 attn_every: int = 0, num_heads: int = 4) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        self.num_codes, self.channels = num_codes, channels
        self.embedding = nn.Embedding(num_codes, channels)
        self.layers = nn.ModuleList(GatedStackLayer(channels, kernel_size, first=i == 0)
                                    for i in range(num_layers))
        self.attn = nn.ModuleDict({str(i): CausalSelfAttention(channels, num_heads)
                                   for i in range(num_layers)
                                   if attn_every and (i + 1) % attn_every == 0})
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, num_codes, 1))

    def run(self, e: torch.Tensor, biases: Optional[List[torch.Tensor]]) -> torch.Tensor:
        """``e (B, C, T, H, W)``, per-layer biases ``(B, 2C, T, H, W)`` or None -> logits
        ``(B, K, T, H, W)``."""
        b, c, t, hh, ww = e.shape
        flat = lambda x: x.movedim(2, 1).flatten(0, 1)  # noqa: E731  (B*T, C, H, W)
        unflat = lambda x: x.view(b, t, -1, hh, ww).movedim(1, 2)  # noqa: E731
        v = h = flat(e)
        for i, layer in enumerate(self.layers):
            v, h = layer(v, h, None if biases is None else flat(biases[i]))
            if str(i) in self.attn:
                h = flat(self.attn[str(i)](unflat(h), e))
        return unflat(self.head(h))

    @property
    def reach(self) -> int:
        """How far (rows up, columns either way) an output position sees into its slice."""
        return len(self.layers) * self.layers[0].k2 * 2 + 1


class PixelCNN3d(_GatedStacks):
    """Prior over a ``(T, H, W)`` cube of codes: gated vertical / horizontal stacks per slice, a
    temporal stack over the earlier slices (``temporal_layers`` 3D convs of ``temporal_kernel``
    slices) feeding every layer, causal self-attention on the horizontal stack after every
    ``attn_every`` layers."""

    def __init__(self, num_codes: int, channels: int = 64, num_layers: int = 6,
                 kernel_size: int = 3, temporal_kernel: int = 2, attn_every: int = 3,
                 num_heads: int = 4, temporal_layers: int = 2, cond_channels: int = 0) -> None:
        super().__init__(num_codes, channels, num_layers, kernel_size, attn_every, num_heads)
        if temporal_kernel < 1 or temporal_layers < 1:
            raise ValueError('temporal_kernel and temporal_layers must be >= 1')
        k2 = kernel_size // 2
        self.kt = temporal_kernel
        self.pad = (k2, k2, k2, k2)
        self.temporal = nn.ModuleList(
            nn.Conv3d(channels, channels, (temporal_kernel, kernel_size, kernel_size))
            for _ in range(temporal_layers))
        self.temporal_bias = nn.Conv3d(channels, 2 * channels * num_layers, 1)
        # a spatial conditioning map (e.g. features of the observed frames), the same bias for
        # every slice: it holds no code, so it never breaks causality
        self.cond = nn.Conv2d(cond_channels, 2 * channels * num_layers, 1) if cond_channels \
            else None

    def temporal_biases(self, e: torch.Tensor) -> List[torch.Tensor]:
        """Per-layer biases ``(B, 2C, T, H, W)``: slice ``t``'s depend on slices ``< t`` only."""
        kt = self.kt
        # first conv: output t covers slices t-kt .. t-1 (padded by kt in front, last dropped)
        x = self.temporal[0](F.pad(e, self.pad + (kt, 0)))[:, :, :-1]
        for conv in self.temporal[1:]:  # causal including the present: x_t already holds < t
            x = x + conv(F.pad(torch.relu(x), self.pad + (kt - 1, 0)))
        return list(self.temporal_bias(torch.relu(x)).chunk(len(self.layers), 1))

    def forward_embedded(self, e: torch.Tensor, cond: Optional[torch.Tensor] = None
                         ) -> torch.Tensor:
        """Embedded codes ``(B, C, T, H, W)`` and the conditioning map ``(B, C_c, H, W)`` (when
        built with ``cond_channels``) -> logits ``(B, K, T, H, W)`` (also what the causality
        test differentiates)."""
        biases = self.temporal_biases(e)
        if (cond is None) != (self.cond is None):
            raise ValueError('PixelCNN3d: give cond exactly when built with cond_channels')
        if cond is not None:
            biases = [b + c[:, :, None] for b, c in
                      zip(biases, self.cond(cond).chunk(len(self.layers), 1))]
        return self.run(e, biases)

    def forward(self, codes: torch.Tensor, cond: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``(B, T, H, W)`` long -> logits ``(B, K, T, H, W)``."""
        return self.forward_embedded(self.embedding(codes).movedim(-1, 1), cond)


class ConditionalPixelCNN2d(_GatedStacks):
    """Prior over one ``(H, W)`` slice of codes given a conditioning map ``(B, C_c, H, W)``,
    injected into every layer's gates as a bias (the conditional PixelCNN's location-dependent
    conditioning)."""

    def __init__(self, num_codes: int, cond_channels: int, channels: int = 64,
                 num_layers: int = 6, kernel_size: int = 3) -> None:
        super().__init__(num_codes, channels, num_layers, kernel_size)
        self.cond = nn.Sequential(nn.Conv2d(cond_channels, channels, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(channels, 2 * channels * num_layers, 1))

    def cond_biases(self, cond: torch.Tensor) -> torch.Tensor:
        """Per-layer biases ``(B, 2 * channels * num_layers, H, W)`` of a conditioning map."""
        return self.cond(cond)

    def forward_embedded(self, e: torch.Tensor, cond: Optional[torch.Tensor] = None,
                         biases: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``e (B, C, H, W)`` -> logits ``(B, K, H, W)``."""
        if biases is None and cond is not None:
            biases = self.cond_biases(cond)
        per_layer = None if biases is None else \
            [x[:, :, None] for x in biases.chunk(len(self.layers), 1)]
        return self.run(e[:, :, None], per_layer)[:, :, 0]

    def forward(self, codes: torch.Tensor, cond: Optional[torch.Tensor] = None,
                biases: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``codes (B, H, W)`` long and ``cond (B, C_c, H, W)`` (or its precomputed
        :meth:`cond_biases`) -> logits ``(B, K, H, W)``."""
        return self.forward_embedded(self.embedding(codes).movedim(-1, 1), cond, biases)

    def logits_at(self, codes: torch.Tensor, biases: torch.Tensor, y: int, x: int
                  ) -> torch.Tensor:
        """Logits ``(B, K)`` of position ``(y, x)`` only, computed on the crop that holds its
        receptive field (``reach`` rows above, ``reach`` columns either side): exact, because
        every intermediate feature the output needs lies inside the crop."""
        r = self.reach
        y0, x0, x1 = max(0, y - r), max(0, x - r), min(codes.shape[-1], x + r + 1)
        out = self.forward(codes[:, y0:y + 1, x0:x1], biases=biases[:, :, y0:y + 1, x0:x1])
        return out[:, :, y - y0, x - x0]
