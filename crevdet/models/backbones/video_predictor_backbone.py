"""A pretrained video predictor as an mmdet backbone: pixel-aligned features of the target frame
plus the predictor's attention masks (RPM gates) when it has them.

Input: the detector's ``(B, 3*T, H, W)`` tensor — T frames stacked on channels, oldest first,
target last (what crevdet's multi-frame packing produces, so stock mmdet data preprocessors and
batch padding work). Frames must be in [0, 1]: configure the detector's data preprocessor with
``mean=[0]*3T, std=[255]*3T`` (no channel swap across frames).

Any predictor with ``extract_feat`` and ``feat_channels`` / ``feat_strides`` / ``gate_channels``
works: :class:`CrevNet` and :class:`UNetVideoPredictor` (UNet + RPM, UNet + stacked RNN).
"""
import inspect
from typing import Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule

from crevdet.checkpoint.stored_config import check_architecture
from crevdet.checkpoint.weights import check_weights_fit, fitting_part, strip_prefix
from crevdet.registry import MODELS, build_crevdet
from ..predictors.base_predictor import BaseVideoPredictor
from .inference_runtime import InferenceRuntime


@MODELS.register_module()
class VideoPredictorBackbone(BaseModule):
    """Args:
        model: the predictor's ``model`` dict (``type`` defaults to ``default_type``;
            ``data_preprocessor`` is dropped). A config names the pretraining config instead
            (``model='configs/crevnet/<config>.py'``, relative to the working directory or the
            crevdet repository) so the architecture is written once, where it is pretrained, or
            leaves it out with ``pretrained``; the tools expand either into the dict when they
            load the config (:func:`crevdet.checkpoint.expand_pretrain_configs`): a backbone
            reads no file.
        num_frames: T, frames per detection sample (target + T-1 previous ones).
        out_indices: feature stages returned (strides ``model.feat_strides``).
        gates: how the attention masks join the last returned stage: ``'mean'`` (average over
            RPMs), ``'concat'`` (all RPMs) or ``'none'``. Models without masks need ``'none'``.
        masks: where the attention masks that join the last stage come from: ``'learned'``
            (default: the predictor's RPM gates), or, for the controls of the detection-transfer
            table, ``'zero'`` (the same channels, all zero: a pretrained backbone without its
            masks) and ``'frame_diff'`` (hand-made motion masks instead of the learned ones:
            ``|target - previous frame|`` averaged over colour channels and pooled to the
            stage's stride, in every mask channel). ``'attention'``: the RPMs' attention
            ``g`` itself, before the mixing strength ``a = tanh(k * alpha)`` of
            ``update='scaled_convex'`` scales it (``a`` starts at 0, so the learned masks of a
            random or briefly pretrained CrevNet are zero or nearly so; ``g`` is not).
            Needs ``gates != 'none'``.
        frozen: eval mode and no gradients (the paper's setting); ``False`` fine-tunes.
        streaming: at inference, reuse the encodings of frames that earlier windows of the same
            video already encoded (see ``layers/encoding_cache.py``): a new frame of a stream
            costs one encode plus the predictor steps instead of ``num_frames`` encodes. Same
            outputs as the windowed computation; no effect in training. ``'stateful'`` also
            carries the recurrent state from frame to frame (one predictor step per frame
            instead of ``num_frames``): faster, but not the computation the detector was trained
            with; its AP is measured in docs/benchmarks/detection_speed.md. ``set_streaming``
            switches it at run time.
        stream_horizon: with ``streaming='stateful'``, frames a recurrent state is carried at
            most before a window is warmed up in full again (None: until the video is cut).
        inference_autocast: ``'bf16'`` or ``'fp16'`` runs the backbone under ``torch.autocast``
            at inference (eval mode) and returns float32 features, so the head, the box coder
            and mmcv's NMS stay in float32. On CPUs with bf16 support this halves the backbone's
            time (AP: docs/benchmarks/detection_speed.md). ``'auto'``: the half precision the
            device runs natively (:func:`auto_autocast`; float32 on CPUs without bf16
            kernels). None (default): float32 throughout.
        compile: ``torch.compile`` the predictor's encoder and recurrent stack at the first
            inference call (frozen backbones only). About a minute of compilation once, then
            a faster backbone (docs/benchmarks/detection_speed.md); for long video runs, not
            for tests.
        out_norm: ``'instance'`` standardises every returned feature map per sample and
            channel over its positions (parameter-free instance norm, after the attention masks
            join): frozen features whose channels are mostly a constant offset with a small
            spatial signal reach the head at unit scale (measured for the VQ-VAE encoder:
            docs/benchmarks/detection_transfer.md). ``'batch'``: a BatchNorm without affine
            parameters per returned map (``self.out_bn``), as MAE's linear probe puts before its
            classifier: per channel over the batch and positions while the detector trains
            (its running statistics update even when the backbone is frozen), with those
            statistics at inference; per-image levels, such as a mask's overall motion, are
            kept. None (default): the features as the predictor computes them.
        out_scale: one fixed multiplier per returned map (after ``out_norm``), e.g. to bring a
            longer-pretrained backbone's shrunken features back to the scale the head's schedule
            was set for while keeping their per-channel levels. None: no rescale.
        init_cfg: e.g. ``dict(type='Pretrained', checkpoint='work_dirs/.../iter_N.pth')``; the
            pretraining checkpoint's keys (``autoencoder.*``, ``predictor.*``, ``encoder.*`` ...)
            load into ``self.net`` (``prefix='backbone.'`` takes them from a detector checkpoint;
            one written before ``self.net`` is upgraded by :meth:`upgrade_keys`). The load is
            strict: missing, unexpected or differently shaped weights are an error naming them,
            and so is a checkpoint whose own model config (mmengine's ``meta['cfg']``) sets an
            architecture key to another value than ``model`` does; ``strict=False`` in the
            init_cfg loads anyway (partial load, reported as a warning).
    """

    default_type = 'CrevNet'

    def __init__(self, model: Union[dict, str, None] = None, num_frames: int = 4,
                 out_indices: Sequence[int] = (0, 1, 2),
                 gates: str = 'mean', masks: str = 'learned', frozen: bool = True,
                 streaming: Union[bool, str] = False, stream_horizon: Optional[int] = None,
                 inference_autocast: Optional[str] = None, compile: bool = False,
                 out_norm: Optional[str] = None, out_scale: Optional[Sequence[float]] = None,
                 pretrained: Optional[str] = None, init_cfg: Optional[dict] = None) -> None:
        if pretrained is not None:
            if init_cfg is not None:
                raise ValueError(f'{type(self).__name__}: give pretrained= or init_cfg, not both '
                                 f'(pretrained={pretrained!r}, init_cfg={init_cfg!r})')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        if model is None or isinstance(model, str):
            # models read no files: the tools put the model dict here when they load the config
            named = (f'model={model!r} names a pretraining config' if model is not None else
                     f'pretrained={pretrained!r} without model=' if pretrained is not None else
                     'no model= (a pretraining config path or model dict) or pretrained= (a '
                     'pretraining checkpoint) given')
            raise ValueError(
                f'{type(self).__name__}: {named}. A backbone builds from a model dict; the tools, '
                'CrevdetRunner.from_cfg and VideoDetector expand a config path (or a checkpoint\'s '
                'stored model) into that dict when they load the config. Elsewhere call '
                'crevdet.checkpoint.expand_pretrain_configs(cfg) on the loaded config first, or '
                'pass the model dict itself')
        if not isinstance(model, dict):
            raise TypeError(f'backbone model must be a dict, got {type(model).__name__}')
        super().__init__(init_cfg=init_cfg)
        if gates not in ('mean', 'concat', 'none'):
            raise ValueError(f"gates must be 'mean', 'concat' or 'none', got {gates!r}")
        model = {k: v for k, v in dict(model).items() if k != 'data_preprocessor'}
        model.setdefault('type', self.default_type)
        self.model_cfg = model  # init_weights compares it with the checkpoint's model
        if masks == 'attention':
            model = self._with_attention_masks(model)
        net = build_crevdet(MODELS, model)
        if not isinstance(net, BaseVideoPredictor) or not net.feat_channels:
            raise TypeError(f"{model['type']} cannot be a detection backbone: it has no "
                            'extract_feat features (use CrevNet or UNetVideoPredictor)')
        if gates != 'none' and not net.gate_channels:
            raise ValueError(f"{model['type']} has no attention masks; set gates='none'")
        if masks not in ('learned', 'zero', 'frame_diff', 'attention'):
            raise ValueError(f"masks must be 'learned', 'zero', 'frame_diff' or 'attention', "
                             f'got {masks!r}')
        if masks != 'learned' and gates == 'none':
            raise ValueError(f"masks={masks!r} replaces the attention masks, but gates='none' "
                             "returns none; set gates='mean' or 'concat'")
        if masks == 'frame_diff' and num_frames < 2:
            raise ValueError("masks='frame_diff' needs num_frames >= 2 (a previous frame)")
        self.masks = masks
        # an ordinary child (mmpretrain's convention): its train/eval mode follows the backbone's
        # and its weights are ``net.<pretraining model's names>``
        self.net = net
        self._register_load_state_dict_pre_hook(self._upgrade_legacy_keys)
        self.num_frames, self.gates, self.frozen = num_frames, gates, frozen
        n_stages = len(net.feat_channels)
        if not out_indices or any(not 0 <= i < n_stages for i in out_indices):
            raise ValueError(f'out_indices {tuple(out_indices)} must index the {n_stages} '
                             f'feature stages of {type(net).__name__}')
        self.out_indices = tuple(out_indices)
        n_gate = 0
        if gates == 'mean':
            n_gate = net.gate_channels[0]
        elif gates == 'concat':
            n_gate = sum(net.gate_channels)
        self.out_channels = tuple(net.feat_channels[i] + (n_gate if i == self.out_indices[-1]
                                                          else 0) for i in self.out_indices)
        self.strides = tuple(net.feat_strides[i] for i in self.out_indices)
        if out_norm not in (None, 'instance', 'batch'):
            raise ValueError(f"out_norm must be None, 'instance' or 'batch', got {out_norm!r}")
        self.out_norm = out_norm
        if out_scale is not None and (len(out_scale) != len(self.out_indices) or
                                      any(not float(v) > 0 for v in out_scale)):
            raise ValueError(f'out_scale must hold one positive multiplier per returned map '
                             f'(out_indices {self.out_indices}), got {tuple(out_scale)}')
        self.out_scale = None if out_scale is None else tuple(float(v) for v in out_scale)
        if out_norm == 'batch':
            # not part of a pretraining checkpoint: init_weights does not ask it for these
            self.out_bn = torch.nn.ModuleList(torch.nn.BatchNorm2d(c, affine=False)
                                              for c in self.out_channels)
        # streaming, autocast and compile: how the predictor runs, not what it computes
        self.runtime = InferenceRuntime(num_frames, frozen, inference_autocast, compile)
        self.set_streaming(streaming, horizon=stream_horizon)
        if frozen:
            for p in self.parameters():
                p.requires_grad_(False)
            self.train()  # frozen: eval mode from the start (see train())

    @staticmethod
    def _with_attention_masks(model: dict) -> dict:
        """``model`` whose RPM predictor returns its attention ``g`` as the masks
        (``gate_output='attention'``, a constructor option like ``diff_input``); an error for a
        predictor without RPMs."""
        cls = MODELS.get(model['type'])
        predictor = dict(model.get('predictor') or {})
        if cls is None or 'predictor' not in inspect.signature(cls).parameters or \
                predictor.get('type', 'RPMPredictor') not in ('RPMPredictor', 'rpm'):
            raise ValueError(f"masks='attention' needs RPM attention masks; {model['type']} "
                             'has none')
        return dict(model, predictor=dict(predictor, gate_output='attention'))

    def set_streaming(self, mode: Union[bool, str] = True, streams: int = 1,
                      horizon: Optional[int] = None) -> None:
        """Switch streaming inference on (a fresh, empty cache) or off. ``mode``: ``True`` or
        ``'exact'`` (the windowed outputs), ``'stateful'`` (recurrent state carried, at most
        ``horizon`` frames), ``False``: windowed. ``streams``: videos batched together (each
        keeps its own recent encodings in the one cache; a stateful state is carried only
        while every stream of the batch goes on by one frame)."""
        self.runtime.set_streaming(self.net, mode, streams, horizon)

    @property
    def streaming(self) -> Union[bool, str]:
        return self.runtime.streaming

    @property
    def inference_autocast(self) -> Optional[str]:
        return self.runtime.autocast

    @inference_autocast.setter
    def inference_autocast(self, value: Optional[str]) -> None:
        self.runtime.autocast = value

    @property
    def feature_step(self) -> int:
        """The predictor step whose features and attention masks the detector gets: the one that
        consumes the target frame (index ``num_frames - 1`` of the window). Pretraining must have
        trained it (``feature_step in model.trained_steps()`` of the pretraining config's model),
        otherwise the masks come from a step no loss ever shaped."""
        return self.num_frames - 1

    def init_weights(self) -> None:
        cfg = self.init_cfg
        if not (isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'):
            return super().init_weights()
        # mmengine's PretrainedInit loads with strict=False and only warns; load strictly here
        from mmengine.runner.checkpoint import _load_checkpoint
        path = cfg.get('checkpoint')
        if not path:
            raise ValueError(f"{type(self).__name__}: init_cfg=dict(type='Pretrained') has no "
                             'checkpoint; set model.backbone.init_cfg.checkpoint=<pretraining '
                             "run>/iter_N.pth, or remove the init_cfg for a random backbone")
        ckpt = _load_checkpoint(path, map_location=cfg.get('map_location', 'cpu'))
        state = strip_prefix(ckpt.get('state_dict', ckpt), cfg.get('prefix'))
        # the pretraining model's data preprocessor is not part of the backbone (see __init__)
        state = {k: v for k, v in state.items() if not k.startswith('data_preprocessor.')}
        # a pretraining checkpoint's `autoencoder.*` (or an old detector's) -> `net.autoencoder.*`
        state = self.upgrade_keys(state)
        strict = cfg.get('strict', True)
        check_architecture(self.model_cfg, ckpt, path, strict, cfg.get('prefix'),
                           f'{type(self).__name__}')
        own = self.state_dict()
        if not any(k.startswith('out_bn.') for k in state):  # a pretraining checkpoint
            own = type(own)((k, v) for k, v in own.items() if not k.startswith('out_bn.'))
        check_weights_fit(own, state, path, f'{type(self).__name__} (model.backbone)',
                          strict=strict, opt_out='model.backbone.init_cfg.strict=False')
        self.load_state_dict(fitting_part(own, state), strict=False)
        self._is_init = True

    def upgrade_keys(self, state: dict, prefix: str = '') -> dict:
        """Rename the keys of a checkpoint written before the backbone held its predictor as
        ``self.net`` (crevdet 0.1: ``<prefix>autoencoder.*``, ``<prefix>predictor.*``, ...) to
        today's ``<prefix>net.*``. Keys that already have ``net.`` and other modules' keys pass
        unchanged, so an upgraded or current state dict is returned as it is."""
        names = tuple(f'{prefix}{n}.' for n, _ in self.net.named_children()
                      if n != 'data_preprocessor')
        if any(k.startswith(f'{prefix}net.') for k in state):
            return state
        return type(state)((f'{prefix}net.{k[len(prefix):]}' if k.startswith(names) else k, v)
                           for k, v in state.items())

    def _upgrade_legacy_keys(self, state_dict, prefix, *args) -> None:
        # torch's load_state_dict pre-hook: in place, for plain `load_state_dict` users
        upgraded = self.upgrade_keys(dict(state_dict), prefix)
        if upgraded.keys() != state_dict.keys():
            state_dict.clear()
            state_dict.update(upgraded)

    def train(self, mode: bool = True):
        super().train(mode and not self.frozen)
        if self.out_norm == 'batch':  # the head's input statistics learn even when frozen
            self.out_bn.train(mode)
        return self

    def _control_masks(self, frames: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """The masks of a control run, shaped like the learned ones ``g`` ``(B, M, h, w)``:
        zeros, or the frame difference ``(B, T, C, H, W) -> (B, 1, H, W)`` pooled to ``(h, w)``
        and repeated over the M mask channels."""
        if self.masks == 'zero':
            return torch.zeros_like(g)
        diff = (frames[:, -1] - frames[:, -2]).abs().mean(1, keepdim=True).to(g.dtype)
        return torch.nn.functional.adaptive_avg_pool2d(diff, g.shape[-2:]).expand_as(g)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        b, ct, h, w = x.shape
        c = self.net.in_channels
        if ct != c * self.num_frames:
            raise ValueError(f'{type(self).__name__} expects {self.num_frames} stacked frames of '
                             f'{c} channels ({c * self.num_frames}), got {ct} channels')
        frames = x.view(b, self.num_frames, c, h, w)
        # autocast at inference only: a frozen backbone is in eval mode while the detector
        # trains too, so gradients (not the mode) tell training from inference
        grad = torch.is_grad_enabled()
        with torch.set_grad_enabled(grad and not self.frozen):
            feats = self.runtime.run(self.net, lambda: self.net.extract_feat(frames), x.device,
                                     grad)
        # 3D mode: keep the newest time slice of each (B, C, k, h, w) clip feature
        newest = lambda t: t[:, :, -1] if t.dim() == 5 else t  # noqa: E731
        outs = [newest(feats['stages'][i]) for i in self.out_indices]
        if self.gates != 'none':
            gs = [newest(g) for g in feats['gates']]
            g = torch.stack(gs).mean(0) if self.gates == 'mean' else torch.cat(gs, 1)
            last = outs[-1]
            g = torch.nn.functional.interpolate(g, size=last.shape[-2:], mode='nearest') \
                if g.shape[-2:] != last.shape[-2:] else g
            if self.masks in ('zero', 'frame_diff'):
                g = self._control_masks(frames, g)
            outs[-1] = torch.cat([last, g], 1)
        if self.out_norm == 'instance':
            outs = [torch.nn.functional.instance_norm(o, eps=1e-5) for o in outs]
        elif self.out_norm == 'batch':
            outs = [bn(o) for bn, o in zip(self.out_bn, outs)]
        if self.out_scale is not None:
            outs = [o * v for o, v in zip(outs, self.out_scale)]
        return tuple(outs)
