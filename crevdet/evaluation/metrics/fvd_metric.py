"""Fréchet Video Distance (Unterthiner et al. 2018) with a configurable feature extractor.

FVD compares the Gaussian fits of video features of real and predicted clips. The standard
extractor is the Kinetics-400 I3D network (``I3DFeatureExtractor``, in
``crevdet/models/feature_extractors``), whose TorchScript weights (``i3d_torchscript.pt``, the
file StyleGAN-V's and fvd-comparison's FVD code use) must already be
on disk: crevdet never downloads. ``RandomVideoFeatureExtractor`` (a fixed, seeded random 3D-conv
network) needs no weights; its distances rank models on one dataset but are not comparable to
published FVD numbers.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from crevdet.registry import METRICS, MODELS, build_crevdet
from ..functional import frechet_distance, gaussian_fit
from .video_prediction_metric import sample_getter


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
