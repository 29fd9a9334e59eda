"""Video prediction with a hierarchical VQ-VAE and autoregressive PixelCNN priors
(Walker et al. 2021, "Predicting Video with VQVAE").

VQ-VAE (3D convolutions, ``nh`` channels, codes of ``code_dim``)::

    x (B, C, T, H, W) -> enc_b -> h_b (B, nh, T/2, H/4, W/4)            bottom: time /2, space /4
                      -> enc_t -> h_t (B, nh, T/4, H/8, W/8)            top: a further /2 everywhere
    q_t = VQ_t(h_t)                          own EMA codebook (``num_codes``, default 512)
    q_b = VQ_b(conv(cat(h_b, up(q_t))))      own EMA codebook
    x^  = dec(cat(q_b, up(q_t)))             loss: |x^ - x|^2 + commitment (straight-through)

Priors (trained on the frozen VQ-VAE's codes, the second stage):
* top: :class:`PixelCNN3d` over the whole top cube, causal in time and raster-masked in space
  with causal self-attention; the slices of the observed frames are its context;
* bottom: :class:`ConditionalPixelCNN2d` per bottom slice, conditioned on a window of top slices
  and on the previous bottom slices.
Generation is ancestral (top cube first, then bottom slices in time order, each position in
raster order) with a softmax temperature; the observed frames are encoded on their own, so the
context codes never see the future.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement
from torch import nn

from crevdet.models.layers.pixelcnn import ConditionalPixelCNN2d, PixelCNN3d
from crevdet.models.layers.vq import VectorQuantizerEMA
from crevdet.registry import MODELS
from .base_predictor import BaseVideoPredictor


class ResBlock3d(nn.Module):
    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv3d(channels, hidden, 3, padding=1),
                                  nn.ReLU(), nn.Conv3d(hidden, channels, 1))

    def forward(self, x):
        return x + self.body(x)


def res_stack(channels: int, n: int) -> nn.Sequential:
    return nn.Sequential(*[ResBlock3d(channels, channels // 2) for _ in range(n)], nn.ReLU())


class VideoVQVAE(nn.Module):
    """The two-level 3D VQ-VAE (see the module docstring). Input T divisible by 4, H and W by 8."""

    def __init__(self, in_channels: int = 1, nh: int = 64, code_dim: int = 32,
                 num_codes: int = 512, num_res: int = 2, decay: float = 0.99,
                 beta: float = 0.25, restart_threshold: float = 1.0) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.enc_b = nn.Sequential(
            nn.Conv3d(in_channels, nh // 2, 4, 2, 1), nn.ReLU(),        # T/2, H/2
            nn.Conv3d(nh // 2, nh, (3, 4, 4), (1, 2, 2), 1),             # H/4
            res_stack(nh, num_res))
        self.enc_t = nn.Sequential(nn.Conv3d(nh, nh, 4, 2, 1), res_stack(nh, num_res))
        self.pre_t = nn.Conv3d(nh, code_dim, 1)
        self.vq_t = VectorQuantizerEMA(num_codes, code_dim, decay, beta,
                                       restart_threshold=restart_threshold)
        self.dec_t = nn.Sequential(nn.Conv3d(code_dim, nh, 3, padding=1), res_stack(nh, num_res),
                                   nn.ConvTranspose3d(nh, code_dim, 4, 2, 1))
        self.pre_b = nn.Conv3d(nh + code_dim, code_dim, 1)
        self.vq_b = VectorQuantizerEMA(num_codes, code_dim, decay, beta,
                                       restart_threshold=restart_threshold)
        self.up_t = nn.ConvTranspose3d(code_dim, code_dim, 4, 2, 1)
        self.dec = nn.Sequential(
            nn.Conv3d(2 * code_dim, nh, 3, padding=1), res_stack(nh, num_res),
            nn.ConvTranspose3d(nh, nh // 2, (3, 4, 4), (1, 2, 2), 1), nn.ReLU(),
            nn.ConvTranspose3d(nh // 2, in_channels, 4, 2, 1))
        self.stage_channels = (nh, nh)
        self.stage_strides = (4, 8)

    def check(self, x: torch.Tensor) -> None:
        if x.dim() != 5 or x.shape[1] != self.in_channels:
            raise ValueError(f'VideoVQVAE expects (B, C={self.in_channels}, T, H, W), got shape '
                             f'{tuple(x.shape)}')
        t, h, w = x.shape[2:]
        if t % 4 or h % 8 or w % 8:
            raise ValueError(f'VideoVQVAE needs T divisible by 4 and H, W by 8, got T={t}, '
                             f'H={h}, W={w}')

    def features(self, x: torch.Tensor, pre_activation: bool = False
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Encoder outputs ``h_b (B, nh, T/2, H/4, W/4)`` and ``h_t (B, nh, T/4, H/8, W/8)``.

        ``pre_activation`` returns the residual streams before each level's final ReLU instead
        (what the detection backbone uses: after the ReLU most top-level channels are zero,
        which only the 1x1 pre-quantisation conv is trained to tolerate)."""
        self.check(x)
        h_b_pre = self.enc_b[:-1](x)
        h_b_pre = self.enc_b[-1][:-1](h_b_pre)  # res blocks of the stack, without its ReLU
        h_b = torch.relu(h_b_pre)
        h_t_pre = self.enc_t[-1][:-1](self.enc_t[0](h_b))
        if pre_activation:
            return h_b_pre, h_t_pre
        return h_b, torch.relu(h_t_pre)

    def encode(self, x: torch.Tensor):
        """-> (q_t, q_b, commitment loss, top codes (B, T/4, H/8, W/8), bottom codes
        (B, T/2, H/4, W/4))."""
        h_b, h_t = self.features(x)
        q_t, loss_t, idx_t = self.vq_t(self.pre_t(h_t))
        q_b, loss_b, idx_b = self.vq_b(self.pre_b(torch.cat([h_b, self.dec_t(q_t)], 1)))
        return q_t, q_b, loss_t + loss_b, idx_t, idx_b

    def decode(self, q_t: torch.Tensor, q_b: torch.Tensor) -> torch.Tensor:
        return self.dec(torch.cat([q_b, self.up_t(q_t)], 1))

    def decode_codes(self, idx_t: torch.Tensor, idx_b: torch.Tensor) -> torch.Tensor:
        return self.decode(self.vq_t.embed(idx_t), self.vq_b.embed(idx_b))


@MODELS.register_module()
class VQVAEVideoPredictor(BaseVideoPredictor):
    """Args (besides :class:`BaseVideoPredictor`'s):
        stage: ``'vqvae'`` (train the VQ-VAE: reconstruction + commitment) or ``'prior'`` (VQ-VAE
            frozen, e.g. ``load_from`` a stage-1 checkpoint; train both priors by code NLL).
        vqvae: kwargs of :class:`VideoVQVAE` (``nh``, ``code_dim``, ``num_codes``, ``decay``,
            ``beta``, ``num_res``).
        top_prior / bottom_prior: kwargs of :class:`PixelCNN3d` / :class:`ConditionalPixelCNN2d`.
        top_window: top slices around the current bottom slice's that condition it.
        bottom_window: previous bottom slices that condition it.
        temperature: softmax temperature of sampling. num_samples: S per input in ``predict``.
        deterministic: ``predict`` decodes greedily (argmax) instead of sampling.
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
                         init_cfg)
        if stage not in ('vqvae', 'prior'):
            raise ValueError(f"stage must be 'vqvae' or 'prior', got {stage!r}")
        if n_past % 4 or (n_past + n_future) % 4:
            raise ValueError(f'n_past={n_past} and n_past + n_future={n_past + n_future} must be '
                             'multiples of 4 (a top latent slice covers 4 frames)')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.stage, self.temperature = stage, temperature
        self.num_samples, self.deterministic = num_samples, deterministic
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

    def rollout(self, frames: torch.Tensor, n_past: int, n_future: int,
                teacher_forcing: bool = False, decode_from: Optional[int] = None
                ) -> Tuple[torch.Tensor, list]:
        """Greedy (argmax) generation of the ``n_future`` frames."""
        if decode_from not in (None, n_past - 1):
            raise ValueError('VQVAEVideoPredictor.rollout predicts the future frames only '
                             f'(decode_from={decode_from} given, n_past={n_past})')
        pred = self.sample(frames, n_past, n_future, deterministic=True)[:, 0]
        return pred, [[] for _ in range(n_past + n_future - 1)]

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[list] = None
                ) -> List[BaseDataElement]:
        """``pred_samples`` ``(S, n_future, C, H, W)`` and ``pred_frames`` (the first sample),
        clamped to [0, 1]; see :meth:`SRVP.predict`."""
        samples = self.sample(inputs, self.n_past, self.n_future, self.num_samples,
                              self.deterministic).clamp(0, 1)
        return self.pack_predictions(inputs, samples, data_samples)

    def extract_feat(self, frames: torch.Tensor) -> Dict[str, object]:
        """Encoder features of the clip (T divisible by 4), newest temporal slice, before the
        final ReLUs (see :meth:`VideoVQVAE.features`): bottom ``(B, nh, H/4, W/4)`` and top
        ``(B, nh, H/8, W/8)``."""
        self._check_frames(frames, 4)
        h_b, h_t = self.vqvae.features(frames.transpose(1, 2), pre_activation=True)
        return dict(stages=(h_b[:, :, -1], h_t[:, :, -1]), gates=[])
