"""CrevNet as an mmdet backbone: pixel-aligned features of the target frame + RPM attention masks.

Input: the detector's ``(B, 3*T, H, W)`` tensor — T frames stacked on channels, oldest first,
target last (what crevdet's multi-frame packing produces, so stock mmdet data preprocessors and
batch padding work). Frames must be in [0, 1]: configure the detector's data preprocessor with
``mean=[0]*3T, std=[255]*3T`` (no channel swap across frames).
"""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule

from crevdet.registry import MODELS
from ..predictors.crevnet import CrevNet


@MODELS.register_module()
class CrevNetBackbone(BaseModule):
    """Args:
        model: kwargs of :class:`CrevNet` (the pretraining config's ``model`` minus ``type``).
        num_frames: T, frames per detection sample (target + T-1 previous ones).
        out_indices: autoencoder stages returned (strides ``autoencoder.stage_strides``).
        gates: how the RPM attention masks join the last returned stage: ``'mean'`` (average over
            RPMs, ``C_lat/2`` channels), ``'concat'`` (all RPMs) or ``'none'``.
        frozen: eval mode and no gradients (the paper's setting); ``False`` fine-tunes.
        init_cfg: e.g. ``dict(type='Pretrained', checkpoint='work_dirs/.../epoch_N.pth')``; the
            pretraining checkpoint's ``autoencoder.*`` / ``predictor.*`` keys load as they are.
    """

    def __init__(self, model: dict, num_frames: int = 4, out_indices: Sequence[int] = (0, 1, 2),
                 gates: str = 'mean', frozen: bool = True, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if gates not in ('mean', 'concat', 'none'):
            raise ValueError(f"gates must be 'mean', 'concat' or 'none', got {gates!r}")
        model = {k: v for k, v in model.items() if k not in ('type', 'data_preprocessor')}
        net = CrevNet(**model)
        # own the submodules under the pretraining model's names so checkpoints load unchanged
        self.autoencoder, self.predictor = net.autoencoder, net.predictor
        self._net = [net]  # a list: not registered twice as a submodule
        self.num_frames, self.gates, self.frozen = num_frames, gates, frozen
        n_stages = len(self.autoencoder.stage_channels)
        if not out_indices or any(not 0 <= i < n_stages for i in out_indices):
            raise ValueError(f'out_indices {tuple(out_indices)} must index the {n_stages} '
                             'autoencoder stages')
        self.out_indices = tuple(out_indices)
        n_gate = self.predictor.layers[0].att2.out_channels
        n_gate *= len(self.predictor.layers) if gates == 'concat' else 1
        self.out_channels = tuple(self.autoencoder.stage_channels[i]
                                  + (n_gate if i == self.out_indices[-1] and gates != 'none' else 0)
                                  for i in self.out_indices)
        self.strides = tuple(self.autoencoder.stage_strides[i] for i in self.out_indices)
        if frozen:
            for p in self.parameters():
                p.requires_grad_(False)
            self.train()  # frozen: eval mode from the start (see train())

    @property
    def net(self) -> CrevNet:
        return self._net[0]

    def train(self, mode: bool = True):
        super().train(mode and not self.frozen)
        return self

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        b, ct, h, w = x.shape
        c = self.net.in_channels
        if ct != c * self.num_frames:
            raise ValueError(f'CrevNetBackbone expects {self.num_frames} stacked frames of {c} '
                             f'channels ({c * self.num_frames}), got {ct} channels')
        frames = x.view(b, self.num_frames, c, h, w)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            feats = self.net.extract_feat(frames)
        # 3D mode: keep the newest time slice of each (B, C, k, h, w) clip feature
        newest = lambda t: t[:, :, -1] if t.dim() == 5 else t  # noqa: E731
        outs = [newest(feats['stages'][i]) for i in self.out_indices]
        if self.gates != 'none':
            gs = [newest(g) for g in feats['gates']]
            g = torch.stack(gs).mean(0) if self.gates == 'mean' else torch.cat(gs, 1)
            last = outs[-1]
            g = torch.nn.functional.interpolate(g, size=last.shape[-2:], mode='nearest') \
                if g.shape[-2:] != last.shape[-2:] else g
            outs[-1] = torch.cat([last, g], 1)
        return tuple(outs)
