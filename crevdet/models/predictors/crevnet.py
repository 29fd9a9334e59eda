"""CrevNet (Yu et al., ICLR 2020): conditionally reversible video prediction.

A bijective two-way autoencoder maps each input step to a latent; a stack of reversible predictive
modules (RPM) predicts the next latent; the autoencoder's exact inverse decodes it. During multi-step
prediction the predicted latent is fed straight back (``encode(decode(z)) == z``, so decoding and
re-encoding would change nothing but cost time and rounding).

Time steps. With ``clip_len = k`` frames per step, step ``t`` (``t >= k-1``) consumes frames
``t-k+1 .. t`` and predicts frames ``t-k+2 .. t+1``; the emitted prediction is frame ``t+1``.
``conv_dim=2`` stacks the k frames along channels (k=1: one frame per step, k=2: the authors'
2-frame variant); ``conv_dim=3`` keeps them on a temporal axis, ``(B, C, k, H, W)``, with 3D convs.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from crevdet.models.layers import RPMPredictor, TwoWayAutoencoder
from crevdet.registry import MODELS
from .base_predictor import BaseVideoPredictor


@MODELS.register_module()
class CrevNet(BaseVideoPredictor):
    """CrevNet pretraining model (mmengine ``BaseModel``, see :class:`BaseVideoPredictor`).

    Args:
        in_channels: channels per frame (1 for Moving MNIST, 3 for RGB).
        n_past / n_future: observed and predicted frames of a training clip.
        conv_dim: 2 or 3 (see module docstring).
        clip_len: frames per step k (default 1 in 2D mode, 3 in 3D mode).
        autoencoder: kwargs of :class:`TwoWayAutoencoder` (``in_channels`` and ``conv_dim`` are
            filled in).
        predictor: kwargs of :class:`RPMPredictor`.
        teacher_forcing: during training feed ground-truth latents at every step (the authors'
            recipe; loss over all predicted steps). ``False`` feeds predictions back after
            ``n_past`` frames, as at test time.
        reversible_backprop: autoencoder keeps no activations for backward (see reversible.py).
        loss_weight: scale of the MSE loss.

    Inputs are ``(B, T, C, H, W)`` floats in ``[0, 1]`` (see ``VideoDataPreprocessor``).
    """

    def __init__(self, in_channels: int = 3, n_past: int = 10, n_future: int = 10,
                 conv_dim: int = 2, clip_len: Optional[int] = None,
                 autoencoder: Optional[dict] = None, predictor: Optional[dict] = None,
                 teacher_forcing: bool = True, reversible_backprop: bool = False,
                 loss_weight: float = 1.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if conv_dim not in (2, 3):
            raise ValueError(f'conv_dim must be 2 or 3, got {conv_dim}')
        super().__init__(in_channels, n_past, n_future, clip_len or (3 if conv_dim == 3 else 1),
                         teacher_forcing, loss_weight, data_preprocessor, init_cfg)
        self.conv_dim = conv_dim
        ae_cfg = dict(autoencoder or {})
        ae_in = in_channels * self.clip_len if conv_dim == 2 else in_channels
        self.autoencoder = TwoWayAutoencoder(in_channels=ae_in, conv_dim=conv_dim,
                                             reversible_backprop=reversible_backprop, **ae_cfg)
        self.predictor = RPMPredictor(self.autoencoder.out_channels, conv_dim=conv_dim,
                                      **dict(predictor or {}))
        self.feat_channels = self.autoencoder.stage_channels
        self.feat_strides = self.autoencoder.stage_strides
        self.gate_channels = tuple(m.att2.out_channels for m in self.predictor.layers)

    # ------------------------------------------------------------------ clips <-> frames
    def _clips(self, frames: torch.Tensor, ts: Sequence[int]) -> torch.Tensor:
        """Clips ending at each step in ``ts``, concatenated on the batch axis (step-major):
        2D ``(len(ts)*B, k*C, H, W)``, 3D ``(len(ts)*B, C, k, H, W)``."""
        k = self.clip_len
        clips = torch.stack([frames[:, t - k + 1:t + 1] for t in ts])  # (S, B, k, C, H, W)
        s, b, _, c, h, w = clips.shape
        if self.conv_dim == 2:
            return clips.reshape(s * b, k * c, h, w)
        return clips.transpose(2, 3).reshape(s * b, c, k, h, w)

    def _last_frame(self, clip: torch.Tensor) -> torch.Tensor:
        """Newest frame ``(N, C, H, W)`` of a decoded clip."""
        return clip[:, -self.in_channels:] if self.conv_dim == 2 else clip[:, :, -1]

    # ------------------------------------------------------------------ core recurrence
    def rollout(self, frames: torch.Tensor, n_past: int, n_future: int,
                teacher_forcing: bool = False, decode_from: Optional[int] = None
                ) -> Tuple[torch.Tensor, List[List[torch.Tensor]]]:
        """Run the predictor over a sequence.

        Args:
            frames: ``(B, T, C, H, W)``; T >= ``n_past`` (>= ``n_past + n_future`` - 1 with
                teacher forcing, whose inputs are ground truth at every step).
            decode_from: first step whose prediction is decoded (default: ``n_past - 1``, i.e. the
                n_future future frames only).

        Returns:
            predicted frames ``(B, S, C, H, W)`` for frames ``decode_from+1 .. n_past+n_future-1``
            and the attention masks per step (a list, per RPM, of ``(B, C_lat/2, h, w)``).
        """
        k, b = self.clip_len, frames.shape[0]
        last = n_past + n_future - 2  # last step; it predicts frame n_past + n_future - 1
        self._check_frames(frames, last + 1 if teacher_forcing else n_past)
        decode_from = n_past - 1 if decode_from is None else decode_from
        steps = list(range(k - 1, last + 1))
        observed = [t for t in steps if teacher_forcing or t < n_past]
        # all ground-truth inputs in one batched encode: (S*B, C_lat, h, w)
        z_obs = self.autoencoder.encode(self._clips(frames, observed)).split(b)
        z_obs = dict(zip(observed, z_obs))
        state, z, outs, gates = None, None, [], []
        for t in steps:
            z_in = z_obs[t] if t in z_obs else z  # closed loop: feed the predicted latent back
            z, state, g = self.predictor(z_in, state)
            gates.append(g)
            if t >= decode_from:
                outs.append(z)
        pred = self._last_frame(self.autoencoder.decode(torch.cat(outs)))
        pred = pred.reshape((len(outs), b) + pred.shape[1:]).transpose(0, 1)
        return pred, gates

    # ------------------------------------------------------------------ downstream use
    def extract_feat(self, frames: torch.Tensor) -> Dict[str, object]:
        """Features of the *last* frame after warming the predictor up on the ones before it.

        Args:
            frames: ``(B, T, C, H, W)``, T >= ``clip_len``; the last frame is the target.

        Returns:
            dict with ``stages``: autoencoder stage outputs of the target step (pixel-aligned,
            channels ``autoencoder.stage_channels``, strides ``autoencoder.stage_strides``),
            ``gates``: one attention mask ``(B, C_lat/2, H/f, W/f)`` per RPM from the target step,
            ``latent``: the predicted next latent.
        """
        self._check_frames(frames, self.clip_len)
        t_last = frames.shape[1] - 1
        steps = list(range(self.clip_len - 1, t_last + 1))
        clips = self._clips(frames, steps)
        b = frames.shape[0]
        target_stages = self.autoencoder.forward_stages(clips[-b:])
        z_prev = self.autoencoder.encode(clips[:-b]).split(b) if len(steps) > 1 else []
        state = None
        for z in list(z_prev) + [target_stages[-1]]:
            z_next, state, gates = self.predictor(z, state)
        return dict(stages=target_stages, gates=gates, latent=z_next)

    def reconstruct_previous(self, z_next: torch.Tensor, prev_state: dict,
                             m_in: Optional[list] = None) -> torch.Tensor:
        """Conditional reversibility (paper eq. 5): from a predicted latent and the recurrent
        state before that step, recover the step's input frame ``(B, C, H, W)``."""
        z = self.predictor.inverse(z_next, prev_state, m_in)
        return self._last_frame(self.autoencoder.decode(z))
