"""Fréchet Video Distance (Unterthiner et al. 2018) with a configurable feature extractor.

FVD compares the Gaussian fits of video features of real and predicted clips. The standard
extractor is the Kinetics-400 I3D network (``I3DFeatureExtractor``), whose TorchScript weights
(``i3d_torchscript.pt``, the file StyleGAN-V's and fvd-comparison's FVD code use) must already be
on disk: crevdet never downloads. ``RandomVideoFeatureExtractor`` (a fixed, seeded random 3D-conv
network) needs no weights; its distances rank models on one dataset but are not comparable to
published FVD numbers.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from torch import nn

from crevdet.registry import METRICS, MODELS, build_crevdet
from ..functional import frechet_distance, gaussian_fit
from .video_metric import sample_getter


@MODELS.register_module()
class I3DFeatureExtractor(nn.Module):
    """Kinetics I3D logits-layer features (400-d) from a TorchScript file.

    Input ``(N, T, C, H, W)`` in [0, 1]; grey frames are repeated to RGB, values mapped to
    [-1, 1] and passed as ``(N, 3, T, H, W)`` with ``rescale=False, resize=True,
    return_features=True`` (the network resizes to 224x224 itself).
    """

    def __init__(self, weights: str = 'checkpoints/i3d_torchscript.pt') -> None:
        super().__init__()
        if not osp.isfile(weights):
            raise FileNotFoundError(
                f'FVD needs the I3D TorchScript weights, looked for {osp.abspath(weights)!r} and '
                'found nothing. crevdet does not download them: put i3d_torchscript.pt (the '
                'Kinetics-400 I3D used by StyleGAN-V / fvd-comparison) there, or set '
                "feature_extractor=dict(type='I3DFeatureExtractor', weights=...) in the metric, "
                "or use type='RandomVideoFeatureExtractor' for weight-free relative comparisons")
        self.net = torch.jit.load(weights, map_location='cpu').eval()

    @torch.no_grad()
    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        if videos.shape[2] == 1:
            videos = videos.expand(-1, -1, 3, -1, -1)
        x = (videos * 2 - 1).transpose(1, 2).contiguous()
        return self.net(x, rescale=False, resize=True, return_features=True)


@MODELS.register_module()
class RandomVideoFeatureExtractor(nn.Module):
    """A fixed random 3D-conv network (seeded, never trained): ``(N, T, C, H, W)`` in [0, 1]
    -> ``(N, dim)`` (global average of the last conv's ReLU responses)."""

    def __init__(self, in_channels: int = 3, dim: int = 64, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        chans = (in_channels, 16, 32, dim)
        self.convs = nn.ModuleList(nn.Conv3d(a, b, 3, (1, 2, 2), 1)
                                   for a, b in zip(chans[:-1], chans[1:]))
        for conv in self.convs:
            fan_in = conv.weight[0].numel()
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen)
                                  * (2 / fan_in) ** 0.5)
                conv.bias.zero_()
        self.requires_grad_(False)

    @torch.no_grad()
    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        x = videos.transpose(1, 2)
        for conv in self.convs:
            x = torch.relu(conv(x))
        return x.mean((2, 3, 4))


@METRICS.register_module()
class FVDMetric(BaseMetric):
    """FVD between the ground-truth future clips and the predicted ones.

    Args:
        feature_extractor: config of the extractor (a module ``(N, T, C, H, W) -> (N, D)``).
        with_context: prepend the last observed frame to both real and predicted clips.
        use_samples: with stochastic predictors (``pred_samples``), use every sample as a
            predicted clip (default) instead of ``pred_frames`` only.
        device: where the extractor runs (default: CUDA when available).
    Result: ``fvd`` (prefix ``video``).
    """
    default_prefix = 'video'

    def __init__(self, feature_extractor: Optional[dict] = None, with_context: bool = False,
                 use_samples: bool = True, device: Optional[str] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        cfg = feature_extractor or dict(type='I3DFeatureExtractor')
        self.device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        self.extractor = build_crevdet(MODELS, cfg).to(self.device).eval()
        self.with_context, self.use_samples = with_context, use_samples

    def _features(self, clips: Sequence[torch.Tensor]) -> np.ndarray:
        x = torch.stack([c.detach().float() for c in clips]).to(self.device)
        return self.extractor(x).double().cpu().numpy()

    def process(self, data_batch, data_samples: Sequence) -> None:
        real, fake = [], []
        for ds in data_samples:
            get = sample_getter(ds)
            gt, pred = get('gt_frames'), get('pred_frames')
            if gt is None or pred is None:
                raise ValueError('FVDMetric needs gt_frames and pred_frames in each sample')
            preds = list(get('pred_samples')) if self.use_samples and \
                get('pred_samples') is not None else [pred]
            if self.with_context:
                ctx = get('last_observed').unsqueeze(0)
                gt, preds = torch.cat([ctx, gt]), [torch.cat([ctx, p]) for p in preds]
            real.append(gt.cpu())
            fake.extend(p.cpu() for p in preds)
        self.results.append(dict(real=self._features(real), fake=self._features(fake)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        real = np.concatenate([r['real'] for r in results])
        fake = np.concatenate([r['fake'] for r in results])
        return dict(fvd=frechet_distance(*gaussian_fit(real), *gaussian_fit(fake)))
