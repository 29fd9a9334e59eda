"""Video prediction with a hierarchical VQ-VAE and autoregressive PixelCNN priors
(Walker et al. 2021, "Predicting Video with VQVAE").

The VQ-VAE (``layers/video_vqvae.py``) codes a clip as a top cube ``(T/4, H/8, W/8)`` and a
bottom cube ``(T/2, H/4, W/4)`` of discrete codes.

Priors (trained on the frozen VQ-VAE's codes, the second stage):
* top: :class:`PixelCNN3d` over the whole top cube, causal in time and raster-masked in space
  with causal self-attention; the slices of the observed frames are its context;
* bottom: :class:`ConditionalPixelCNN2d` per bottom slice, conditioned on a window of top slices
  and on the previous bottom slices.
Generation is ancestral (top cube first, then bottom slices in time order, each position in
raster order) with a softmax temperature; the observed frames are encoded on their own, so the
context codes never see the future.
"""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

from crevdet.models.layers.pixelcnn import ConditionalPixelCNN2d, PixelCNN3d
from crevdet.models.layers.video_vqvae import VideoVQVAE
from crevdet.registry import MODELS
from .stochastic_predictor import StochasticVideoPredictor


@MODELS.register_module()
class VQVAEVideoPredictor(StochasticVideoPredictor):
    """Args (besides :class:`StochasticVideoPredictor`'s; ``deterministic`` decodes greedily):
        stage: ``'vqvae'`` (train the VQ-VAE: reconstruction + commitment) or ``'prior'`` (VQ-VAE
            frozen, e.g. ``load_from`` a stage-1 checkpoint; train both priors by code NLL).
        vqvae: kwargs of :class:`VideoVQVAE` (``nh``, ``code_dim``, ``num_codes``, ``decay``,
            ``beta``, ``num_res``).
        top_prior / bottom_prior: kwargs of :class:`PixelCNN3d` / :class:`ConditionalPixelCNN2d`.
        top_window: top slices around the current bottom slice's that condition it.
        bottom_window: previous bottom slices that condition it.
        temperature: softmax temperature of sampling.
    ``n_past`` and ``n_past + n_future`` must be multiples of 4 (one top slice = 4 frames).
    """

    def __init__(self, in_channels: int = 1, n_past: int = 4, n_future: int = 12,
                 stage: str = 'vqvae', vqvae: Optional[dict] = None,
                 top_prior: Optional[dict] = None, bottom_prior: Optional[dict] = None,
                 top_window: int = 3, bottom_window: int = 2, temperature: float = 1.0,
                 num_samples: int = 3, deterministic: bool = False, loss_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None
                 ) -> None:
        super().__init__(in_channels, n_past, n_future, 1, True, loss_weight, data_preprocessor,
                         init_cfg, num_samples=num_samples, deterministic=deterministic)
        if stage not in ('vqvae', 'prior'):
            raise ValueError(f"stage must be 'vqvae' or 'prior', got {stage!r}")
        if n_past % 4 or (n_past + n_future) % 4:
            raise ValueError(f'n_past={n_past} and n_past + n_future={n_past + n_future} must be '
                             'multiples of 4 (a top latent slice covers 4 frames)')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.stage, self.temperature = stage, temperature
        self.top_window, self.bottom_window = top_window, bottom_window
        self.vqvae = VideoVQVAE(in_channels, **dict(vqvae or {}))
        k, d = self.vqvae.vq_t.num_codes, self.vqvae.vq_t.dim
        self.top_prior = PixelCNN3d(k, **dict(top_prior or {}))
        self.bottom_prior = ConditionalPixelCNN2d(self.vqvae.vq_b.num_codes,
                                                  d * (top_window + bottom_window),
                                                  **dict(bottom_prior or {}))
        self.feat_channels = self.vqvae.stage_channels
        self.feat_strides = self.vqvae.stage_strides
        if stage == 'prior':  # second stage: the codes are fixed
            self.vqvae.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.stage == 'prior':
            self.vqvae.eval()  # no codebook EMA updates while the priors learn
        return self

    # ------------------------------------------------------------------ codes
    def context_codes(self, frames: torch.Tensor, n_past: int):
        """Codes of the observed frames encoded on their own: top ``(B, n_past/4, ...)``,
        bottom ``(B, n_past/2, ...)``."""
        obs = frames[:, :n_past].transpose(1, 2)
        _, _, _, idx_t, idx_b = self.vqvae.encode(obs)
        return idx_t, idx_b

    def prior_sequence(self, frames: torch.Tensor):
        """Training codes: the observed slices from the observed frames alone, the future slices
        from the whole clip (what generation sees, and what it must produce)."""
        n_total = self.n_past + self.n_future
        with torch.no_grad():
            ctx_t, ctx_b = self.context_codes(frames, self.n_past)
            _, _, _, idx_t, idx_b = self.vqvae.encode(frames[:, :n_total].transpose(1, 2))
        tt, tb = ctx_t.shape[1], ctx_b.shape[1]
        return torch.cat([ctx_t, idx_t[:, tt:]], 1), torch.cat([ctx_b, idx_b[:, tb:]], 1)

    def bottom_condition(self, idx_t: torch.Tensor, idx_b: torch.Tensor, t: int) -> torch.Tensor:
        """Conditioning map of bottom slice ``t``: embeddings of top slices around ``t // 2``
        (upsampled x2) and of the ``bottom_window`` previous bottom slices (zeros off the ends):
        ``(B, D * (top_window + bottom_window), Hb, Wb)``."""
        b, tb, hb, wb = idx_b.shape
        emb = self.vqvae.vq_b.embedding
        zeros = lambda: emb.new_zeros(b, emb.shape[1], hb, wb)  # noqa: E731
        maps: List[torch.Tensor] = []
        c = t // 2
        for s in range(c - self.top_window // 2, c - self.top_window // 2 + self.top_window):
            if 0 <= s < idx_t.shape[1]:
                e = self.vqvae.vq_t.embed(idx_t[:, s])
                maps.append(F.interpolate(e, size=(hb, wb), mode='nearest'))
            else:
                maps.append(zeros())
        for s in range(t - self.bottom_window, t):
            maps.append(self.vqvae.vq_b.embed(idx_b[:, s]) if s >= 0 else zeros())
        return torch.cat(maps, 1)

    # ------------------------------------------------------------------ losses
    def loss(self, inputs: torch.Tensor, data_samples: Optional[list] = None
             ) -> Dict[str, torch.Tensor]:
        n_total = self.n_past + self.n_future
        self._check_frames(inputs, n_total)
        if self.stage == 'vqvae':
            x = inputs[:, :n_total].transpose(1, 2)
            q_t, q_b, commit, _, _ = self.vqvae.encode(x)
            rec = self.vqvae.decode(q_t, q_b)
            return dict(loss_rec=self.loss_weight * F.mse_loss(rec, x), loss_commit=commit)
        idx_t, idx_b = self.prior_sequence(inputs)
        tt_obs, tb_obs = self.n_past // 4, self.n_past // 2
        logits_t = self.top_prior(idx_t)  # (B, K, Tt, Ht, Wt)
        loss_top = F.cross_entropy(logits_t[:, :, tt_obs:], idx_t[:, tt_obs:])
        steps = range(tb_obs, idx_b.shape[1])
        cond = torch.cat([self.bottom_condition(idx_t, idx_b, t) for t in steps])
        codes = torch.cat([idx_b[:, t] for t in steps])
        loss_bottom = F.cross_entropy(self.bottom_prior(codes, cond), codes)
        return dict(loss_top=loss_top, loss_bottom=loss_bottom)

    # ------------------------------------------------------------------ generation
    def _draw(self, logits: torch.Tensor, greedy: bool, generator) -> torch.Tensor:
        """``(N, K)`` logits -> ``(N,)`` codes."""
        if greedy:
            return logits.argmax(1)
        probs = F.softmax(logits / self.temperature, 1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)

    @torch.no_grad()
    def sample(self, frames: torch.Tensor, n_past: int, n_future: int, num_samples: int = 1,
               deterministic: bool = False, generator: Optional[torch.Generator] = None
               ) -> torch.Tensor:
        """Ancestral generation. Returns ``(B, S, n_future, C, H, W)``."""
        self._check_frames(frames, n_past)
        if n_past % 4 or (n_past + n_future) % 4:
            raise ValueError('n_past and n_past + n_future must be multiples of 4')
        b, s = frames.shape[0], 1 if deterministic else num_samples
        ctx_t, ctx_b = self.context_codes(frames, n_past)
        ctx_t, ctx_b = ctx_t.repeat_interleave(s, 0), ctx_b.repeat_interleave(s, 0)
        n_total = n_past + n_future
        _, ht, wt = ctx_t.shape[1:]
        _, hb, wb = ctx_b.shape[1:]
        idx_t = torch.cat([ctx_t, ctx_t.new_zeros(b * s, n_total // 4 - ctx_t.shape[1], ht, wt)], 1)
        for t in range(ctx_t.shape[1], n_total // 4):
            for y in range(ht):
                for x in range(wt):
                    logits = self.top_prior(idx_t)[:, :, t, y, x]
                    idx_t[:, t, y, x] = self._draw(logits, deterministic, generator)
        idx_b = torch.cat([ctx_b, ctx_b.new_zeros(b * s, n_total // 2 - ctx_b.shape[1], hb, wb)], 1)
        for t in range(ctx_b.shape[1], n_total // 2):
            biases = self.bottom_prior.cond_biases(self.bottom_condition(idx_t, idx_b, t))
            for y in range(hb):
                for x in range(wb):
                    logits = self.bottom_prior.logits_at(idx_b[:, t], biases, y, x)
                    idx_b[:, t, y, x] = self._draw(logits, deterministic, generator)
        video = self.vqvae.decode_codes(idx_t, idx_b).transpose(1, 2)  # (B*S, T, C, H, W)
        pred = video[:, n_past:n_total]
        return pred.reshape((b, s) + pred.shape[1:])

    def extract_feat(self, frames: torch.Tensor) -> Dict[str, object]:
        """Encoder features of the clip (T divisible by 4), newest temporal slice, before the
        final ReLUs (see :meth:`VideoVQVAE.features`): bottom ``(B, nh, H/4, W/4)`` and top
        ``(B, nh, H/8, W/8)``."""
        self._check_frames(frames, 4)
        h_b, h_t = self.vqvae.features(frames.transpose(1, 2), pre_activation=True)
        return dict(stages=(h_b[:, :, -1], h_t[:, :, -1]), gates=[])
