"""CrevNet (Yu et al., ICLR 2020): conditionally reversible video prediction.

A bijective two-way autoencoder maps each input step to a latent; a stack of reversible
predictive modules (RPM) predicts the next latent; the autoencoder's exact inverse decodes it.
During multi-step prediction with one frame per step the predicted latent is fed straight back
(``encode(decode(z)) == z``, so decoding and re-encoding would change nothing but cost time and
rounding); with clips of k > 1 frames see :meth:`CrevNet.rollout_clips`.

Initialisation: with ``autoencoder.zero_init_residual=True`` (default) and an RPM update that is
the identity at the start (``'residual'``, the class default, or ``'scaled_convex'``, the configs')
an untrained CrevNet predicts exactly the last observed frame at every closed-loop step;
``zero_init_residual=False, update='convex'`` is the paper's / authors' model. The shipped
configs' recipe (norm-free couplings, bias-free RPMs, closed-loop MSE + L1) is explained and
measured in docs/design/deviations.md.

Time steps. With ``clip_len = k`` frames per step, step ``t`` (``t >= k-1``) consumes frames
``t-k+1 .. t`` and predicts frames ``t-k+2 .. t+1``; the emitted prediction is frame ``t+1``.
``conv_dim=2`` stacks the k frames along channels (k=1: one frame per step, k=2: the authors'
2-frame variant); ``conv_dim=3`` keeps them on a temporal axis, ``(B, C, k, H, W)``, with 3D convs.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

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
        loss_weight / loss_l1_weight: scales of the MSE and the (optional) L1 loss.
        compile: compile the rollout's per-step work (the RPM stack's step with its gates, the
            autoencoder's encode / decode) with ``torch.compile``; see
            :class:`BaseVideoPredictor`. The inverse (:meth:`reconstruct_previous`) stays eager.

    Inputs are ``(B, T, C, H, W)`` floats in ``[0, 1]`` (see ``VideoDataPreprocessor``).
    """

    TRAINING_ONLY_KEYS = BaseVideoPredictor.TRAINING_ONLY_KEYS + ('reversible_backprop',)

    def __init__(self, in_channels: int = 3, n_past: int = 10, n_future: int = 10,
                 conv_dim: int = 2, clip_len: Optional[int] = None,
                 autoencoder: Optional[dict] = None, predictor: Optional[dict] = None,
                 teacher_forcing: bool = True, reversible_backprop: bool = False,
                 loss_weight: float = 1.0, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, loss_l1_weight: float = 0.0,
                 compile: Union[bool, dict] = False) -> None:
        if conv_dim not in (2, 3):
            raise ValueError(f'conv_dim must be 2 or 3, got {conv_dim}')
        super().__init__(in_channels, n_past, n_future, clip_len or (3 if conv_dim == 3 else 1),
                         teacher_forcing, loss_weight, data_preprocessor, init_cfg, loss_l1_weight,
                         compile=compile)
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
    def _to_clip(self, frames: torch.Tensor) -> torch.Tensor:
        """``(N, k, C, H, W)`` frames -> one autoencoder input: 2D ``(N, k*C, H, W)``, 3D
        ``(N, C, k, H, W)``."""
        n, k, c, h, w = frames.shape
        return frames.reshape(n, k * c, h, w) if self.conv_dim == 2 else frames.transpose(1, 2)

    def _from_clip(self, clip: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`_to_clip`: a decoded clip as ``(N, k, C, H, W)`` frames."""
        if self.conv_dim == 3:
            return clip.transpose(1, 2)
        n, _, h, w = clip.shape
        return clip.reshape(n, self.clip_len, self.in_channels, h, w)

    def _clips(self, frames: torch.Tensor, ts: Sequence[int]) -> torch.Tensor:
        """Clips ending at each step in ``ts``, concatenated on the batch axis (step-major):
        2D ``(len(ts)*B, k*C, H, W)``, 3D ``(len(ts)*B, C, k, H, W)``."""
        k = self.clip_len
        clips = torch.stack([frames[:, t - k + 1:t + 1] for t in ts])  # (S, B, k, C, H, W)
        return self._to_clip(clips.flatten(0, 1))

    def _last_frame(self, clip: torch.Tensor) -> torch.Tensor:
        """Newest frame ``(N, C, H, W)`` of a decoded clip."""
        return clip[:, -self.in_channels:] if self.conv_dim == 2 else clip[:, :, -1]

    # ------------------------------------------------------------------ core recurrence
    def rollout_clips(self, frames: torch.Tensor, n_past: int, n_future: int,
                      teacher_forcing: bool = False, decode_from: Optional[int] = None
                      ) -> Tuple[torch.Tensor, List[List[torch.Tensor]]]:
        """Run the predictor over a sequence; every step predicts a whole clip (the loop of
        :meth:`BaseVideoPredictor.rollout` with the one-step parts below).

        Step ``t`` (``k-1 <= t <= n_past + n_future - 2``) consumes frames ``t-k+1 .. t`` and
        predicts frames ``t-k+2 .. t+1``. The next step's input:

        * ground truth clips while observed (and at every step with ``teacher_forcing``);
        * ``k = 1``: the predicted latent itself (``encode(decode(z)) == z``, so decoding and
          re-encoding would only cost time and rounding);
        * ``k > 1``: the decoded predicted clip with every frame that was *observed*
          (index < ``n_past``) overwritten by the ground truth, re-encoded (the authors' test
          procedure). The fed-back clip is then a clip of frames, the kind of input the model
          was trained on, and its older frames are the ones the loss trains (every frame of every
          predicted clip enters :meth:`loss`).

        Returns:
            predicted clips ``(B, S, k, C, H, W)`` of steps ``decode_from .. n_past+n_future-2``
            (default ``decode_from = n_past - 1``) and the attention masks per step (a list, per
            RPM, of ``(B, C_lat/2, h, w)``).
        """
        return super().rollout(frames, n_past, n_future, teacher_forcing, decode_from)

    # the one-step parts of BaseVideoPredictor.rollout
    @property
    def feedback_decodes(self) -> bool:
        return self.clip_len > 1  # k = 1 feeds the predicted latent itself back

    def encode_steps(self, frames: torch.Tensor, steps: Sequence[int]) -> List[torch.Tensor]:
        """Latents ``(B, C_lat, h, w)`` of the ground-truth clips ending at ``steps``."""
        return list(self.autoencoder.encode(self._clips(frames, steps)).split(frames.shape[0]))

    def transition(self, z: torch.Tensor, state: Optional[dict]):
        return self.predictor(z, state)  # (next latent, state, attention masks)

    def decode(self, items: list) -> List[torch.Tensor]:
        """Predicted clips ``(B, k, C, H, W)``, decoded by the autoencoder's exact inverse."""
        b = items[0][0].shape[0]
        z = torch.cat([latent for latent, _ in items])
        return list(self._from_clip(self.autoencoder.decode(z)).split(b))

    def feed_back(self, t: int, frames: torch.Tensor, n_past: int, latents: dict,
                  decoded: dict) -> torch.Tensor:
        if self.clip_len == 1:
            return latents[t - 1]
        k = self.clip_len
        clip = decoded[t - 1]
        first = t - k + 1  # frame index of clip[:, 0]
        n_obs = max(0, min(k, n_past - first))
        if n_obs:  # the observed frames of this window are known exactly
            clip = torch.cat([frames[:, first:first + n_obs], clip[:, n_obs:]], 1)
        return self.autoencoder.encode(self._to_clip(clip))

    def rollout(self, frames: torch.Tensor, n_past: int, n_future: int,
                teacher_forcing: bool = False, decode_from: Optional[int] = None
                ) -> Tuple[torch.Tensor, List[List[torch.Tensor]]]:
        """Newest frame of every predicted clip of :meth:`rollout_clips`: ``(B, S, C, H, W)``
        for frames ``decode_from + 1 .. n_past + n_future - 1``, and the attention masks."""
        clips, gates = self.rollout_clips(frames, n_past, n_future, teacher_forcing, decode_from)
        return clips[:, :, -1], gates

    def loss(self, inputs: torch.Tensor, data_samples: Optional[list] = None
             ) -> Dict[str, torch.Tensor]:
        """MSE (+ L1, see :meth:`frame_losses`) over every frame of every predicted clip (steps
        ``k-1 .. n_past+n_future-2``; with ``k = 1`` one frame per step, the authors' all-steps
        objective)."""
        n_total = self.n_past + self.n_future
        self._check_frames(inputs, n_total)
        k = self.clip_len
        clips, _ = self.rollout_clips(inputs, self.n_past, self.n_future, self.teacher_forcing,
                                      decode_from=k - 1)
        # target clip of step t: frames t-k+2 .. t+1, for t = k-1 .. n_total-2
        target = inputs[:, :n_total].unfold(1, k, 1)[:, 1:]  # (B, S, C, H, W, k)
        target = target.permute(0, 1, 5, 2, 3, 4)
        return self.frame_losses(clips, target)

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
        if self.encoding_cache is not None and not torch.is_grad_enabled():  # streaming
            stages, z_next, gates = self.encoding_cache.run_window(
                clips.split(b), self.autoencoder.forward_stages, self.predictor)
            return dict(stages=stages, gates=gates, latent=z_next)
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
