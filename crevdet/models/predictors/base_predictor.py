"""What every crevdet video predictor shares: the mmengine modes, the loss, ``predict`` and the
rollout loop.

:meth:`BaseVideoPredictor.rollout` owns the bookkeeping of a multi-step prediction (which steps
get ground truth, which get their own prediction back, which predictions are decoded and when);
a recurrent model implements its one-step parts (``encode_steps``, ``transition``, ``decode``,
optionally ``feed_back``). Training, testing, the benchmark hook, ``tools/predict.py``, the
benchmark and the ablation tools only use ``rollout`` and the attributes set here
(``in_channels``, ``n_past``, ``n_future``, ``clip_len``, ``teacher_forcing``); a model that is
no step-by-step recurrence (the ConvLSTM encoder-forecaster) overrides ``rollout`` itself.
"""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from crevdet.registry import MODELS, build_crevdet


class BaseVideoPredictor(BaseModel):
    """Base of crevdet's video predictors: deterministic ones implement :meth:`rollout` only;
    stochastic ones (SRVP, the VQ-VAE) also override :meth:`loss` and :meth:`predict`.

    Args:
        in_channels: channels per frame (1 for Moving MNIST, 3 for RGB).
        n_past / n_future: observed and predicted frames of a training clip.
        clip_len: frames consumed per recurrent step (the first prediction is frame ``clip_len``).
        teacher_forcing: during training, feed ground truth at every step (loss over every
            predicted frame). ``False`` feeds predictions back after ``n_past`` frames, as at
            test time.
        loss_weight: scale of the MSE loss.
        loss_l1_weight: scale of an added L1 loss on the same frames (0: MSE only, the papers'
            objective; E3D-LSTM and PredRNN-V2 train with L1 + L2).
        compile: ``True`` (or a dict of ``torch.compile`` keyword arguments, e.g.
            ``dict(mode='reduce-overhead')`` for CUDA graphs) compiles the per-step work of
            :meth:`rollout` (``encode_steps``, ``transition``, ``decode``): each is traced once
            and reused at every step, its elementwise ops (LSTM and RPM gates) fused into a few
            kernels. ``dict(scope='loss', ...)`` compiles the whole training forward instead
            (``forward(mode='loss')``: the rollout unrolled, so the backward also sums each
            weight's per-step gradients in fused kernels; 1.7x fewer kernel launches per
            training step than ``scope='step'`` for CrevNet 2D at 64x64, but minutes of
            compilation for a full model; docs/benchmarks/memory_speed.md); ``predict`` then
            stays eager. ``False`` (default): eager.

    Inputs are ``(B, T, C, H, W)`` floats in ``[0, 1]`` (see ``VideoDataPreprocessor``).
    """

    #: first step whose prediction enters the loss; ``None``: every step (``clip_len - 1``).
    #: Sequence-to-sequence models that only predict after observing ``n_past`` frames set it
    #: to ``'future'``.
    loss_from: Optional[str] = None

    # config keys that only shape pretraining: a detector may set them otherwise than the
    # checkpoint it loads (crevdet.checkpoint.stored_config.architecture_differences)
    TRAINING_ONLY_KEYS = ('teacher_forcing', 'n_future')

    def __init__(self, in_channels: int = 3, n_past: int = 10, n_future: int = 10,
                 clip_len: int = 1, teacher_forcing: bool = True, loss_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None,
                 loss_l1_weight: float = 0.0, compile: Union[bool, dict] = False) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='VideoDataPreprocessor')
        if isinstance(data_preprocessor, dict):  # build from crevdet's registry, not mmengine's
            data_preprocessor = build_crevdet(MODELS, data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if clip_len < 1:
            raise ValueError(f'clip_len must be >= 1, got {clip_len}')
        if n_past < clip_len:
            raise ValueError(f'n_past={n_past} must be >= clip_len={clip_len}')
        if n_future < 1:
            raise ValueError(f'n_future must be >= 1, got {n_future}')
        self.in_channels, self.n_past, self.n_future = in_channels, n_past, n_future
        self.clip_len = clip_len
        self.teacher_forcing = teacher_forcing
        self.loss_weight = loss_weight
        self.loss_l1_weight = loss_l1_weight
        if not isinstance(compile, (bool, dict)):
            raise TypeError(f'compile must be a bool or a dict of torch.compile options, got '
                            f'{compile!r}')
        # None: eager (named so: nn.Module.compile is a method)
        self.compile_options: Optional[dict] = (dict(compile) if isinstance(compile, dict)
                                                else {} if compile else None)
        self.compile_scope = 'step'
        if self.compile_options is not None:
            self.compile_scope = self.compile_options.pop('scope', 'step')
            if self.compile_scope not in ('step', 'loss'):
                raise ValueError(f"compile scope must be 'step' (the rollout's per-step work) or "
                                 f"'loss' (the whole training forward), got "
                                 f'{self.compile_scope!r}')

    def __getstate__(self):
        # compiled callables (see step_fn) are not copied: a deepcopy (EMA) or a pickled model
        # compiles its own on first use
        state = dict(super().__getstate__())
        state.pop('_compiled_steps', None)
        return state

    def step_fn(self, name: str) -> Callable:
        """The one-step part ``name`` of :meth:`rollout` (``'encode_steps'``, ``'transition'``,
        ``'decode'``), compiled once per model when ``compile`` is set (``feed_back`` stays
        eager: its inputs, the dicts of earlier steps, grow every step, which would retrace)."""
        fn = getattr(self, name)
        if self.compile_options is None or self.compile_scope == 'loss':
            return fn  # scope 'loss': traced inside the compiled training forward
        compiled = self.__dict__.setdefault('_compiled_steps', {})
        if name not in compiled:
            compiled[name] = torch.compile(fn, **self.compile_options)
        return compiled[name]

    # an EncodingCache (layers/encoding_cache.py) makes extract_feat reuse the encodings of
    # earlier overlapping windows at inference (streaming); None: every window is encoded whole
    encoding_cache = None

    def trained_steps(self) -> range:
        """Steps ``t`` (the step that consumes frame ``t`` and predicts ``t + 1``) whose
        predictions enter :meth:`loss` with ground-truth inputs, as a detection backbone runs
        them: every step from the first predicted one to ``n_past + n_future - 2`` with teacher
        forcing, else only the observed ones (``t < n_past``)."""
        first = self.n_past - 1 if self.loss_from == 'future' else self.clip_len - 1
        last = self.n_past + self.n_future - 2
        if not self.teacher_forcing:
            last = min(last, self.n_past - 1)
        return range(first, last + 1)

    def _check_frames(self, frames: torch.Tensor, min_len: int) -> None:
        name = type(self).__name__
        if frames.dim() != 5 or frames.shape[2] != self.in_channels:
            raise ValueError(f'{name} expects frames (B, T, C={self.in_channels}, H, W), got '
                             f'shape {tuple(frames.shape)}')
        if frames.shape[1] < min_len:
            raise ValueError(f'{name} needs at least {min_len} frames per clip, got '
                             f'{frames.shape[1]}')

    def rollout(self, frames: torch.Tensor, n_past: int, n_future: int,
                teacher_forcing: bool = False, decode_from: Optional[int] = None
                ) -> Tuple[torch.Tensor, list]:
        """Run the model over a sequence.

        Step ``t`` (``clip_len - 1 <= t <= n_past + n_future - 2``) consumes the clip of frames
        ``t - k + 1 .. t`` and predicts frame ``t + 1``. Its input is the ground truth while
        observed (``t < n_past``, or every step with ``teacher_forcing``), all of them encoded
        in one batch; after that :meth:`feed_back` builds it from the earlier predictions.
        A prediction is decoded as soon as the next input needs it (``feedback_decodes``), the
        others at the end in one batch.

        Args:
            frames: ``(B, T, C, H, W)``; T >= ``n_past`` (>= ``n_past + n_future - 1`` with
                teacher forcing, whose inputs are ground truth at every step).
            decode_from: first step whose prediction is returned (default ``n_past - 1``: the
                ``n_future`` future frames only). Step ``t`` predicts frame ``t + 1``.

        Returns:
            the outputs of :meth:`decode` for steps ``decode_from .. n_past + n_future - 2``
            stacked on axis 1 (frames ``(B, S, C, H, W)``; CrevNet's clips ``(B, S, k, C, H,
            W)``, see its ``rollout``), and a per-step list of auxiliary outputs of
            :meth:`transition` (the RPM attention masks for RPM predictors, empty lists
            otherwise).
        """
        last = n_past + n_future - 2  # last step; it predicts frame n_past + n_future - 1
        self._check_frames(frames, last + 1 if teacher_forcing else n_past)
        decode_from = n_past - 1 if decode_from is None else decode_from
        steps = range(self.clip_len - 1, last + 1)
        observed = [t for t in steps if teacher_forcing or t < n_past]
        encode_steps, transition, decode = (self.step_fn(n) for n in (
            'encode_steps', 'transition', 'decode'))
        enc = dict(zip(observed, encode_steps(frames, observed)))
        state, aux = None, []
        latents: Dict[int, Any] = {}  # step -> transition output
        decoded: Dict[int, torch.Tensor] = {}  # step -> decoded prediction
        for t in steps:
            if t not in enc:  # closed loop: built from the predictions of the steps before
                enc[t] = self.feed_back(t, frames, n_past, latents, decoded)
            latents[t], state, a = transition(enc[t], state)
            aux.append(a)
            if self.feedback_decodes and t < last and t + 1 not in enc:
                decoded[t] = decode([(latents[t], enc[t])])[0]
        todo = [t for t in range(decode_from, last + 1) if t not in decoded]
        if todo:  # the rest in one batch
            decoded.update(zip(todo, decode([(latents[t], enc[t]) for t in todo])))
        return torch.stack([decoded[t] for t in range(decode_from, last + 1)], 1), aux

    # the one-step parts of a recurrent predictor, used by rollout
    #: whether :meth:`feed_back` needs the previous step's prediction decoded (False when the
    #: predicted latent itself is the next input, as in CrevNet with one frame per step)
    feedback_decodes = True

    def encode_steps(self, frames: torch.Tensor, steps: Sequence[int]) -> List[Any]:
        """The inputs of ``steps`` from ground-truth ``frames``, in one batch: one encoding
        per step (whatever :meth:`transition` consumes)."""
        raise NotImplementedError(f'{type(self).__name__} must implement encode_steps() (or '
                                  'override rollout())')

    def transition(self, enc: Any, state: Any) -> Tuple[Any, Any, list]:
        """One recurrent step: ``(prediction latent, new state, auxiliary outputs)``; ``state``
        is None at the first step."""
        raise NotImplementedError(f'{type(self).__name__} must implement transition()')

    def decode(self, items: List[Tuple[Any, Any]]) -> List[torch.Tensor]:
        """The predictions of several steps, each given as ``(latent, that step's encoding)``,
        decoded in one batch: one ``(B, C, H, W)`` frame (or clip) per item."""
        raise NotImplementedError(f'{type(self).__name__} must implement decode()')

    def feed_back(self, t: int, frames: torch.Tensor, n_past: int, latents: Dict[int, Any],
                  decoded: Dict[int, torch.Tensor]) -> Any:
        """The closed-loop input of step ``t``: its clip of frames ``t-k+1 .. t``, each the
        ground truth where observed (index < ``n_past``) and otherwise the prediction of the
        step before that frame (``decoded[i - 1]``), encoded."""
        clip = torch.stack([frames[:, i] if i < n_past else decoded[i - 1]
                            for i in range(t - self.clip_len + 1, t + 1)], 1)
        return self.encode_steps(clip, [self.clip_len - 1])[0]

    # ------------------------------------------------------------------ mmengine API
    def forward(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            if self.compile_options is not None and self.compile_scope == 'loss':
                compiled = self.__dict__.setdefault('_compiled_steps', {})
                if 'loss' not in compiled:  # the losses read only the frames
                    compiled['loss'] = torch.compile(lambda x: self.loss(x),
                                                     **self.compile_options)
                return compiled['loss'](inputs)
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.rollout(inputs, self.n_past, self.n_future)[0]
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    def loss(self, inputs: torch.Tensor, data_samples: Optional[list] = None
             ) -> Dict[str, torch.Tensor]:
        """MSE over every predicted frame: frames ``clip_len .. n_past + n_future - 1`` (the
        CrevNet authors' all-steps objective), or the ``n_future`` future frames only for
        ``loss_from = 'future'`` models."""
        n_total = self.n_past + self.n_future
        self._check_frames(inputs, n_total)
        first = self.n_past - 1 if self.loss_from == 'future' else self.clip_len - 1
        pred, _ = self.rollout(inputs, self.n_past, self.n_future, self.teacher_forcing,
                               decode_from=first)
        return self.frame_losses(pred, inputs[:, first + 1:n_total])

    def frame_losses(self, pred: torch.Tensor, target: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``loss_mse`` (and ``loss_l1`` when ``loss_l1_weight > 0``) of predicted frames."""
        losses = dict(loss_mse=self.loss_weight * F.mse_loss(pred, target))
        if self.loss_l1_weight:
            losses['loss_l1'] = self.loss_l1_weight * F.l1_loss(pred, target)
        return losses

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[list] = None
                ) -> List[BaseDataElement]:
        """Observe ``n_past`` frames, predict ``n_future``. Each returned sample carries
        ``pred_frames`` ``(n_future, C, H, W)`` in [0, 1], ``last_observed`` ``(C, H, W)`` (the
        copy-last-frame baseline) and, when the clip holds them, ``gt_frames``."""
        pred, _ = self.rollout(inputs, self.n_past, self.n_future)
        return self.pack_predictions(inputs, pred.clamp(0, 1)[:, None], data_samples,
                                     keep_samples=False)

    def pack_predictions(self, inputs: torch.Tensor, samples: torch.Tensor,
                         data_samples: Optional[list] = None, keep_samples: bool = True
                         ) -> List[BaseDataElement]:
        """One data sample per clip from ``samples (B, S, n_future, C, H, W)``: ``pred_frames``
        (the first sample), ``pred_samples`` (all S, for stochastic models), ``last_observed``
        and, when the clip holds them, ``gt_frames``."""
        n_total = self.n_past + self.n_future
        out = []
        for i in range(inputs.shape[0]):
            ds = data_samples[i] if data_samples else BaseDataElement()
            ds.pred_frames = samples[i, 0]
            if keep_samples:
                ds.pred_samples = samples[i]
            ds.last_observed = inputs[i, self.n_past - 1]
            if inputs.shape[1] >= n_total:
                ds.gt_frames = inputs[i, self.n_past:n_total]
            out.append(ds)
        return out

    # ------------------------------------------------------------------ downstream use
    #: per feature stage of :meth:`extract_feat`: channels and stride; per attention mask:
    #: channels (empty for models without one). Set by models usable as detection backbones.
    feat_channels: Tuple[int, ...] = ()
    feat_strides: Tuple[int, ...] = ()
    gate_channels: Tuple[int, ...] = ()

    def extract_feat(self, frames: torch.Tensor) -> Dict[str, object]:
        """Features of the *last* frame of ``(B, T, C, H, W)`` after warming the recurrence up
        on the frames before it: ``dict(stages=(...), gates=[...])`` (see
        ``VideoPredictorBackbone``)."""
        raise TypeError(f'{type(self).__name__} has no detection features (extract_feat); '
                        'use CrevNet or a UNet video predictor as a detection backbone')
