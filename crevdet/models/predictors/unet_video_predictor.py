"""UNet video predictors: the paper's Table 2 ablations "UNet + RPM" and "UNet + stacked RNN".

The two-way autoencoder of CrevNet is replaced by a conventional UNet (``UNetEncoder`` /
``UNetDecoder``); the latent predictor is either CrevNet's RPM stack or a plain stacked RNN::

    clip_t (B, k*C, H, W) -> encoder -> skips s_0 .. s_{n-2}, latent z_t (B, C_z, H/f, W/f)
    z_{t+1} = predictor(z_t, state)
    x_{t+1} = decoder(z_{t+1}, skips of step t)        (B, C, H, W)

With ``k = clip_len`` frames stacked on channels per step. The decoder cannot invert the encoder,
so closed-loop prediction decodes each predicted latent to a frame and re-encodes it.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from crevdet.models.layers import UNetDecoder, UNetEncoder
from crevdet.registry import MODELS, build_crevdet
from crevdet.checkpoint.stored_config import TYPE_ALIASES
from .base_predictor import BaseVideoPredictor

PREDICTORS = ('RPMPredictor', 'StackedRNNPredictor')  # registered latent predictors


@MODELS.register_module()
class UNetVideoPredictor(BaseVideoPredictor):
    """Args (besides :class:`BaseVideoPredictor`'s):
        encoder: kwargs of :class:`UNetEncoder` / :class:`UNetDecoder` (``channels``, ``norm``).
        predictor: ``dict(type='RPMPredictor' | 'StackedRNNPredictor', **kwargs)`` (registry
            types; ``num_layers``, ``hidden_channels``, ``cell``); the former names ``'rpm'`` /
            ``'stacked'`` still work.
    """

    def __init__(self, in_channels: int = 3, n_past: int = 10, n_future: int = 10,
                 clip_len: int = 1, encoder: Optional[dict] = None,
                 predictor: Optional[dict] = None, teacher_forcing: bool = True,
                 loss_weight: float = 1.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, loss_l1_weight: float = 0.0) -> None:
        super().__init__(in_channels, n_past, n_future, clip_len, teacher_forcing, loss_weight,
                         data_preprocessor, init_cfg, loss_l1_weight)
        enc_cfg = dict(encoder or {})
        self.encoder = UNetEncoder(in_channels * clip_len, **enc_cfg)
        self.decoder = UNetDecoder(in_channels, **enc_cfg)
        pred_cfg = dict(predictor or {})
        kind = pred_cfg.pop('type', 'RPMPredictor')
        kind = TYPE_ALIASES.get(kind, kind)  # 'rpm' / 'stacked' of older configs
        if kind not in PREDICTORS:
            raise ValueError(f'predictor type must be one of {PREDICTORS}, got {kind!r}')
        self.predictor = build_crevdet(MODELS, dict(pred_cfg, type=kind,
                                                    channels=self.encoder.stage_channels[-1]))
        self.feat_channels = self.encoder.stage_channels
        self.feat_strides = self.encoder.stage_strides
        self.gate_channels = tuple(m.att2.out_channels for m in self.predictor.layers) \
            if kind == 'RPMPredictor' else ()

    def _clip(self, seq: List[torch.Tensor], t: int) -> torch.Tensor:
        """Frames ``t-k+1 .. t`` of ``seq`` stacked on channels: ``(B, k*C, H, W)``."""
        return torch.cat(seq[t - self.clip_len + 1:t + 1], 1)

    # the one-step parts of BaseVideoPredictor.rollout (closed loop: the predicted frame is
    # decoded and its clip re-encoded, as the decoder cannot invert the encoder)
    def encode_steps(self, frames: torch.Tensor, steps: Sequence[int]
                     ) -> List[Tuple[torch.Tensor, ...]]:
        """Per step the encoder's stage features (skips ..., latent) of the clip ending there,
        all steps in one batch."""
        seq, b = list(frames.unbind(1)), frames.shape[0]
        feats = self.encoder(torch.cat([self._clip(seq, t) for t in steps]))
        return [tuple(f[i * b:(i + 1) * b] for f in feats) for i in range(len(steps))]

    def transition(self, enc: Tuple[torch.Tensor, ...], state):
        return self.predictor(enc[-1], state)  # (next latent, state, gates or [])

    def decode(self, items: list) -> List[torch.Tensor]:
        """Frames ``(B, C, H, W)`` from the predicted latents and the skips of their steps."""
        b = items[0][0].shape[0]
        skips = [torch.cat([enc[i] for _, enc in items]) for i in range(len(items[0][1]) - 1)]
        return list(self.decoder(torch.cat([z for z, _ in items]), skips).split(b))

    def extract_feat(self, frames: torch.Tensor) -> Dict[str, object]:
        """Encoder stages of the last frame's clip (strides ``feat_strides``) after warming the
        predictor up on the clips before it; RPM gates of the target step (empty for the
        stacked-RNN predictor)."""
        self._check_frames(frames, self.clip_len)
        seq = list(frames.unbind(1))
        steps = list(range(self.clip_len - 1, len(seq)))
        b = frames.shape[0]
        clips = [self._clip(seq, t) for t in steps]
        if self.encoding_cache is not None and not torch.is_grad_enabled():  # streaming
            stages, z_next, gates = self.encoding_cache.run_window(
                clips, lambda x: tuple(self.encoder(x)), self.predictor)
            return dict(stages=stages, gates=gates, latent=z_next)
        feats = self.encoder(torch.cat(clips))
        enc = [tuple(f[i * b:(i + 1) * b] for f in feats) for i in range(len(steps))]
        state = None
        for e in enc:
            z_next, state, gates = self.predictor(e[-1], state)
        stages = enc[-1]
        return dict(stages=stages, gates=gates, latent=z_next)
