"""Video prediction with a hierarchical VQ-VAE and autoregressive PixelCNN priors
(Walker et al. 2021, "Predicting Video with VQVAE").

The VQ-VAE (``layers/video_vqvae.py``) codes a clip as a top cube ``(T/4, H/8, W/8)`` and a
bottom cube ``(T/2, H/4, W/4)`` of discrete codes.

Priors (trained on the frozen VQ-VAE's codes of whole clips, the second stage), both conditioned
on the observed frames through a :class:`ConditioningStack` (a per-frame 2D conv net):
* top: :class:`PixelCNN3d` over the whole top cube: gated vertical / horizontal stacks per
  slice, a temporal stack over the earlier slices, causal self-attention;
* bottom: :class:`ConditionalPixelCNN2d` (gated stacks) per bottom slice, conditioned on a window
  of top slices, the previous bottom slices and the observed frames.
Generation is ancestral over the *whole* clip's codes (top cube first, then bottom slices in time
order, each position in raster order) with a softmax temperature; the decoder then sees a code
cube of the kind stage 1 trained it on (not observed codes spliced beside generated ones), and
the future frames of its output are the prediction.
"""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

from crevdet.models.layers.pixelcnn import ConditionalPixelCNN2d, PixelCNN3d
from crevdet.models.layers.video_vqvae import ConditioningStack, VideoVQVAE
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
        cond_channels: width of the conditioning stack over the ``n_past`` observed frames.
        feature_path: what :meth:`extract_feat` gives a detector: ``'clip'`` (the newest
            temporal slice of the clip's encoder features, which the stride-2 temporal convs
            blend with the frame before the target), ``'frame'`` (the target frame alone,
            encoded as a static clip) or ``'both'`` (the two concatenated: twice the channels).
    ``n_past`` and ``n_past + n_future`` must be multiples of 4 (one top slice = 4 frames).
    """

    # feature_path: which features a detector reads, not the network
    TRAINING_ONLY_KEYS = StochasticVideoPredictor.TRAINING_ONLY_KEYS + ('feature_path',)

    def __init__(self, in_channels: int = 1, n_past: int = 4, n_future: int = 12,
                 stage: str = 'vqvae', vqvae: Optional[dict] = None,
                 top_prior: Optional[dict] = None, bottom_prior: Optional[dict] = None,
                 top_window: int = 3, bottom_window: int = 2, temperature: float = 1.0,
                 num_samples: int = 3, deterministic: bool = False, loss_weight: float = 1.0,
                 cond_channels: int = 64, feature_path: str = 'clip',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels, n_past, n_future, 1, True, loss_weight, data_preprocessor,
                         init_cfg, num_samples=num_samples, deterministic=deterministic)
        if stage not in ('vqvae', 'prior'):
            raise ValueError(f"stage must be 'vqvae' or 'prior', got {stage!r}")
        if n_past % 4 or (n_past + n_future) % 4:
            raise ValueError(f'n_past={n_past} and n_past + n_future={n_past + n_future} must be '
                             'multiples of 4 (a top latent slice covers 4 frames)')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if feature_path not in ('clip', 'frame', 'both'):
            raise ValueError(f"feature_path must be 'clip', 'frame' or 'both', got "
                             f'{feature_path!r}')
        self.feature_path = feature_path
        self.stage, self.temperature = stage, temperature
        self.top_window, self.bottom_window = top_window, bottom_window
        self.vqvae = VideoVQVAE(in_channels, **dict(vqvae or {}))
        k, d = self.vqvae.vq_t.num_codes, self.vqvae.vq_t.dim
        self.conditioner = ConditioningStack(in_channels, n_past, cond_channels)
        self.top_prior = PixelCNN3d(k, cond_channels=cond_channels, **dict(top_prior or {}))
        self.bottom_prior = ConditionalPixelCNN2d(
            self.vqvae.vq_b.num_codes, d * (top_window + bottom_window) + cond_channels,
            **dict(bottom_prior or {}))
        self.feat_channels = tuple(c * (2 if feature_path == 'both' else 1)
                                   for c in self.vqvae.stage_channels)
        self.feat_strides = self.vqvae.stage_strides
        if stage == 'prior':  # second stage: the codes are fixed
            self.vqvae.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.stage == 'prior':
            self.vqvae.eval()  # no codebook EMA updates while the priors learn
        return self

    # ------------------------------------------------------------------ codes
    def clip_codes(self, frames: torch.Tensor):
        """The frozen VQ-VAE's codes of the first ``n_past + n_future`` frames: top
        ``(B, T/4, H/8, W/8)``, bottom ``(B, T/2, H/4, W/4)`` (the priors' targets)."""
        with torch.no_grad():
            x = frames[:, :self.n_past + self.n_future].transpose(1, 2)
            _, _, _, idx_t, idx_b = self.vqvae.encode(x)
        return idx_t, idx_b

    def bottom_condition(self, idx_t: torch.Tensor, idx_b: torch.Tensor, t: int,
                         frames_b: torch.Tensor) -> torch.Tensor:
        """Conditioning map of bottom slice ``t``: embeddings of top slices around ``t // 2``
        (upsampled x2), of the ``bottom_window`` previous bottom slices (zeros off the ends) and
        the observed frames' map ``frames_b``: ``(B, D * (top_window + bottom_window) +
        cond_channels, Hb, Wb)``."""
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
        return torch.cat(maps + [frames_b], 1)

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
        # every slice of the clip's codes, given the observed frames (what sampling generates)
        idx_t, idx_b = self.clip_codes(inputs)
        frames_b, frames_t = self.conditioner(inputs[:, :self.n_past])
        logits_t = self.top_prior(idx_t, frames_t)  # (B, K, Tt, Ht, Wt)
        loss_top = F.cross_entropy(logits_t, idx_t)
        steps = range(idx_b.shape[1])
        cond = torch.cat([self.bottom_condition(idx_t, idx_b, t, frames_b) for t in steps])
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
        """Ancestral generation of the whole clip's codes given the observed frames; returns
        the future frames of its decoding, ``(B, S, n_future, C, H, W)``."""
        self._check_frames(frames, n_past)
        if n_past % 4 or (n_past + n_future) % 4:
            raise ValueError('n_past and n_past + n_future must be multiples of 4')
        if n_past != self.n_past:
            raise ValueError(f'{type(self).__name__} conditions on n_past={self.n_past} frames '
                             f'(its conditioning stack); got n_past={n_past}')
        b, s = frames.shape[0], 1 if deterministic else num_samples
        n_total = n_past + n_future
        frames_b, frames_t = (f.repeat_interleave(s, 0)
                              for f in self.conditioner(frames[:, :n_past]))
        (ht, wt), (hb, wb) = frames_t.shape[-2:], frames_b.shape[-2:]
        idx_t = frames_t.new_zeros((b * s, n_total // 4, ht, wt), dtype=torch.long)
        for t in range(n_total // 4):
            for y in range(ht):
                for x in range(wt):
                    logits = self.top_prior(idx_t[:, :t + 1], frames_t)[:, :, t, y, x]
                    idx_t[:, t, y, x] = self._draw(logits, deterministic, generator)
        idx_b = frames_b.new_zeros((b * s, n_total // 2, hb, wb), dtype=torch.long)
        for t in range(n_total // 2):
            biases = self.bottom_prior.cond_biases(
                self.bottom_condition(idx_t, idx_b, t, frames_b))
            for y in range(hb):
                for x in range(wb):
                    logits = self.bottom_prior.logits_at(idx_b[:, t], biases, y, x)
                    idx_b[:, t, y, x] = self._draw(logits, deterministic, generator)
        video = self.vqvae.decode_codes(idx_t, idx_b).transpose(1, 2)  # (B*S, T, C, H, W)
        pred = video[:, n_past:n_total]
        return pred.reshape((b, s) + pred.shape[1:])

    def extract_feat(self, frames: torch.Tensor) -> Dict[str, object]:
        """Encoder features before the final ReLUs (see :meth:`VideoVQVAE.features`) of the
        clip's newest temporal slice (T divisible by 4) and/or of the target (last) frame
        encoded alone as a static 4-frame clip (``feature_path``): bottom ``(B, c, H/4, W/4)``
        and top ``(B, c, H/8, W/8)``."""
        self._check_frames(frames, 4)
        parts = []
        if self.feature_path in ('clip', 'both'):
            parts.append(self.vqvae.features(frames.transpose(1, 2), pre_activation=True))
        if self.feature_path in ('frame', 'both'):
            still = frames[:, -1:].expand(-1, 4, -1, -1, -1).transpose(1, 2)
            parts.append(self.vqvae.features(still, pre_activation=True))
        stages = tuple(torch.cat([p[i][:, :, -1] for p in parts], 1) for i in range(2))
        return dict(stages=stages, gates=[])
