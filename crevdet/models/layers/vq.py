"""Vector quantisation with an exponential-moving-average codebook (VQ-VAE, van den Oord et al.
2017, appendix; used by VQ-VAE-2 and Walker et al. 2021).

For latents ``z (B, D, ...)`` flattened to ``(N, D)`` and codebook ``e (K, D)``::

    k_n   = argmin_k |z_n - e_k|^2                    nearest code
    q     = e[k]                                      quantised latents
    out   = z + sg(q - z)                             straight-through: d out / d z = I
    loss  = beta * |z - sg(q)|^2                      commitment (the encoder's only VQ term)
    EMA (training):  N_k <- g N_k + (1 - g) n_k,      m_k <- g m_k + (1 - g) sum_{n: k_n = k} z_n
                     e_k  = m_k / N~_k,  N~ = Laplace-smoothed N (no division by zero)

The codebook is a buffer, not a parameter: only the EMA moves it. Under torch.distributed the
counts and sums are all-reduced, so every process keeps the same codebook.

Dead codes (Jukebox's remedy for codebook collapse): a code whose EMA count falls below
``restart_threshold`` is moved onto a random latent of the current batch. With the default 1.0
every code that the first batches do not use is re-seeded from data.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn


class VectorQuantizerEMA(nn.Module):
    """Args: ``num_codes`` K, ``dim`` D, ``decay`` gamma, ``beta`` commitment weight, ``eps``
    Laplace smoothing of the counts, ``restart_threshold`` EMA count under which a code is
    re-seeded from the batch (0 disables)."""

    def __init__(self, num_codes: int = 512, dim: int = 64, decay: float = 0.99,
                 beta: float = 0.25, eps: float = 1e-5, restart_threshold: float = 1.0) -> None:
        super().__init__()
        if not 0 <= decay < 1:
            raise ValueError(f'decay must be in [0, 1), got {decay}')
        self.num_codes, self.dim, self.decay, self.beta, self.eps = num_codes, dim, decay, beta, eps
        self.restart_threshold = restart_threshold
        embed = torch.randn(num_codes, dim)
        self.register_buffer('embedding', embed)
        # a consistent start, embedding == embed_sum / cluster_size: every code counts as seen
        # once, so the first EMA step is a weighted mean, not a 1/(1 - decay) blow-up
        self.register_buffer('cluster_size', torch.ones(num_codes))
        self.register_buffer('embed_sum', embed.clone())

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """Nearest code index of each latent vector: ``(B, D, *S) -> (B, *S)`` long."""
        flat = z.movedim(1, -1).reshape(-1, self.dim)
        dist = (flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.embedding.t()
                + self.embedding.pow(2).sum(1)[None])
        return dist.argmin(1).view((z.shape[0],) + z.shape[2:])

    def embed(self, idx: torch.Tensor) -> torch.Tensor:
        """Code vectors of indices: ``(B, *S) -> (B, D, *S)``."""
        return F.embedding(idx, self.embedding).movedim(-1, 1)

    @torch.no_grad()
    def _ema_update(self, flat: torch.Tensor, idx: torch.Tensor) -> None:
        onehot = F.one_hot(idx, self.num_codes).type(flat.dtype)  # (N, K)
        counts, sums = onehot.sum(0), onehot.t() @ flat
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(counts)
            torch.distributed.all_reduce(sums)
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.embed_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.eps) / (n + self.num_codes * self.eps) * n
        self.embedding.copy_(self.embed_sum / smoothed[:, None])
        dead = self.cluster_size < self.restart_threshold
        if dead.any():
            pick = flat[torch.randint(len(flat), (int(dead.sum()),), device=flat.device)]
            new = self.embedding.clone()
            new[dead] = pick
            if torch.distributed.is_available() and torch.distributed.is_initialized():
                torch.distributed.broadcast(new, 0)  # one codebook on every process
            self.embedding.copy_(new)
            self.embed_sum[dead] = new[dead]
            self.cluster_size[dead] = 1.0

    def forward(self, z: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``z (B, D, *S)`` -> (straight-through quantised ``(B, D, *S)``, commitment loss,
        code indices ``(B, *S)``). Updates the codebook in training mode."""
        if z.shape[1] != self.dim:
            raise ValueError(f'VectorQuantizerEMA expects {self.dim} channels, got shape '
                             f'{tuple(z.shape)}')
        idx = self.codes(z)
        q = self.embed(idx)
        if self.training:
            self._ema_update(z.movedim(1, -1).reshape(-1, self.dim).detach(), idx.reshape(-1))
        loss = self.beta * F.mse_loss(z, q.detach())
        return z + (q - z).detach(), loss, idx
