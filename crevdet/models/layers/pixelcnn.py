"""Autoregressive priors over discrete latent codes (PixelCNN, van den Oord et al. 2016).

Order: a cube ``(T, H, W)`` of codes is generated time slice by time slice, each slice in raster
order. Causality is enforced by masks:

* :class:`MaskedConv3d` — kernel ``(kt, k, k)`` with causal temporal padding (only the present
  and past slices are seen); on the present slice the raster mask allows the rows above and the
  positions to the left (and, for mask ``'B'``, the centre). Mask ``'A'`` (first layer) hides the
  centre, so no output ever depends on its own or a later position.
* :class:`CausalSelfAttention` — multi-head self-attention over the flattened ``(t, y, x)``
  order with a causal mask (a position attends to itself and earlier ones; since the first layer
  is mask ``'A'``, "itself" carries no information about its own code).
* :class:`MaskedConv2d` — the 2D raster version, for per-slice priors.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn


def raster_mask(k: int, mask_type: str) -> torch.Tensor:
    """``(k, k)`` mask: rows above the centre, and the centre row left of (``'A'``) or up to and
    including (``'B'``) the centre."""
    if mask_type not in ('A', 'B'):
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    m = torch.zeros(k, k)
    c = k // 2
    m[:c] = 1
    m[c, :c + (mask_type == 'B')] = 1
    return m


class MaskedConv2d(nn.Conv2d):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.register_buffer('mask', raster_mask(kernel_size, mask_type)[None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class MaskedConv3d(nn.Conv3d):
    """Causal in time (past + present), raster-masked on the present slice."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str,
                 temporal_kernel: int = 2):
        super().__init__(in_channels, out_channels, (temporal_kernel, kernel_size, kernel_size))
        mask = torch.ones(temporal_kernel, kernel_size, kernel_size)
        mask[-1] = raster_mask(kernel_size, mask_type)  # the last temporal tap is the present
        self.register_buffer('mask', mask[None, None])
        self.pad = (kernel_size // 2, kernel_size // 2, kernel_size // 2, kernel_size // 2,
                    temporal_kernel - 1, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv3d(F.pad(x, self.pad), self.weight * self.mask, self.bias)


class GatedResidual(nn.Module):
    """``x + W_o(tanh(a + c_a) * sigmoid(b + c_b))`` with ``(a, b)`` from a masked ('B') conv
    and an optional conditioning bias ``c`` (already at the same resolution)."""

    def __init__(self, conv: nn.Module, channels: int, conv_dim: int) -> None:
        super().__init__()
        self.conv = conv  # channels -> 2 * channels
        self.out = (nn.Conv2d if conv_dim == 2 else nn.Conv3d)(channels, channels, 1)

    def forward(self, x: torch.Tensor, cond: Optional[torch.Tensor] = None) -> torch.Tensor:
        h = self.conv(x)
        if cond is not None:
            h = h + cond
        a, b = h.chunk(2, 1)
        return x + self.out(torch.tanh(a) * torch.sigmoid(b))


class CausalSelfAttention(nn.Module):
    """Pre-norm multi-head self-attention over ``(B, C, T, H, W)`` in ``(t, y, x)`` order."""

    def __init__(self, channels: int, num_heads: int = 4) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.attn = nn.MultiheadAttention(channels, num_heads, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[:2]
        seq = x.flatten(2).transpose(1, 2)  # (B, L, C)
        n = seq.shape[1]
        causal = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1)  # True = hidden
        h = self.norm(seq)
        out, _ = self.attn(h, h, h, attn_mask=causal, need_weights=False)
        return x + out.transpose(1, 2).reshape(x.shape)


class PixelCNN3d(nn.Module):
    """Prior over a ``(T, H, W)`` cube of codes: embedding, a mask-'A' 3D conv, ``num_layers``
    gated residual mask-'B' 3D convs with causal self-attention after every ``attn_every`` of
    them, and a 1x1 head to ``num_codes`` logits."""

    def __init__(self, num_codes: int, channels: int = 64, num_layers: int = 6,
                 kernel_size: int = 3, temporal_kernel: int = 2, attn_every: int = 3,
                 num_heads: int = 4) -> None:
        super().__init__()
        self.num_codes = num_codes
        self.embedding = nn.Embedding(num_codes, channels)
        self.first = MaskedConv3d(channels, channels, kernel_size, 'A', temporal_kernel)
        self.layers = nn.ModuleList()
        for i in range(num_layers):
            self.layers.append(GatedResidual(
                MaskedConv3d(channels, 2 * channels, kernel_size, 'B', temporal_kernel),
                channels, 3))
            if attn_every and (i + 1) % attn_every == 0:
                self.layers.append(CausalSelfAttention(channels, num_heads))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv3d(channels, num_codes, 1))

    def forward_embedded(self, e: torch.Tensor) -> torch.Tensor:
        """Embedded codes ``(B, C, T, H, W)`` -> logits ``(B, K, T, H, W)`` (also what the
        causality test differentiates)."""
        x = self.first(e)
        for layer in self.layers:
            x = layer(x)
        return self.head(x)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """``(B, T, H, W)`` long -> logits ``(B, K, T, H, W)``."""
        return self.forward_embedded(self.embedding(codes).movedim(-1, 1))


class ConditionalPixelCNN2d(nn.Module):
    """Prior over one ``(H, W)`` slice of codes given a conditioning map ``(B, C_c, H, W)``
    (injected as a per-layer bias, as in the conditional PixelCNN)."""

    def __init__(self, num_codes: int, cond_channels: int, channels: int = 64,
                 num_layers: int = 6, kernel_size: int = 3) -> None:
        super().__init__()
        self.num_codes = num_codes
        self.embedding = nn.Embedding(num_codes, channels)
        self.first = MaskedConv2d(channels, channels, kernel_size, 'A')
        self.cond = nn.Sequential(nn.Conv2d(cond_channels, channels, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(channels, 2 * channels * num_layers, 1))
        self.layers = nn.ModuleList(
            GatedResidual(MaskedConv2d(channels, 2 * channels, kernel_size, 'B'), channels, 2)
            for _ in range(num_layers))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, num_codes, 1))

    @property
    def reach(self) -> int:
        """How far (rows up, columns either way) an output position sees into the input."""
        return (len(self.layers) + 1) * (self.first.kernel_size[0] // 2)

    def cond_biases(self, cond: torch.Tensor) -> torch.Tensor:
        """Per-layer biases ``(B, 2 * channels * num_layers, H, W)`` of a conditioning map."""
        return self.cond(cond)

    def forward_embedded(self, e: torch.Tensor, cond: Optional[torch.Tensor] = None,
                         biases: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = self.first(e)
        biases = self.cond_biases(cond) if biases is None else biases
        for layer, c in zip(self.layers, biases.chunk(len(self.layers), 1)):
            x = layer(x, c)
        return self.head(x)

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
