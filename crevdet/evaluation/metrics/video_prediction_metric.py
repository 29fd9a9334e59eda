"""Video prediction metric: per step and mean MSE/MAE/PSNR/SSIM, model vs copy-last-frame."""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from crevdet.registry import METRICS
from ..functional import mae, mse, psnr, ssim

FUNCS = dict(mse=mse, mae=mae, psnr=psnr, ssim=ssim)
HIGHER_IS_BETTER = ('psnr', 'ssim')


def sample_getter(ds):
    """``get(key, default)`` over a predicted sample, whether a dict or a data element."""
    return ds.get if isinstance(ds, dict) else (lambda k, d=None: getattr(ds, k, d))


@METRICS.register_module()
class VideoPredictionMetric(BaseMetric):
    """Consumes samples with ``pred_frames`` / ``gt_frames`` ``(S, C, H, W)`` and
    ``last_observed`` ``(C, H, W)`` (as ``CrevNet.predict`` returns them), all in [0, 1].

    Results (prefix ``video``): ``<m>`` (mean over steps and clips), ``<m>_t<k>`` per step k
    (1-based), and ``copy_last/<m>`` for the copy-last-frame baseline (the paper's Table 4 row).

    Stochastic predictors (samples carrying ``pred_samples`` ``(S, n_future, C, H, W)``, e.g.
    SRVP) add the SVG/SRVP protocol: ``best/<m>``, ``mean/<m>`` and ``worst/<m>``, where per clip
    the best (worst) sample is the one with the best (worst) value of ``<m>`` averaged over the
    steps, and ``mean`` averages every sample; each with per-step entries too.

    Args:
        metrics: subset of ``('mse', 'mae', 'psnr', 'ssim')``.
        per_step: also report every step.
        copy_last: also report the copy-last-frame baseline.
    """
    default_prefix = 'video'

    def __init__(self, metrics: Sequence[str] = ('mse', 'mae', 'psnr', 'ssim'),
                 per_step: bool = True, copy_last: bool = True,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        unknown = sorted(set(metrics) - set(FUNCS))
        if unknown:
            raise ValueError(f'unknown video metrics {unknown}; choose from {sorted(FUNCS)}')
        self.metrics, self.per_step, self.copy_last = tuple(metrics), per_step, copy_last

    def process(self, data_batch, data_samples: Sequence) -> None:
        for ds in data_samples:
            get = sample_getter(ds)
            pred, gt = get('pred_frames'), get('gt_frames')
            if pred is None or gt is None:
                raise ValueError('VideoPredictionMetric needs pred_frames and gt_frames in each '
                                 'sample (the clips must hold n_past + n_future frames)')
            pred, gt = pred.detach().float().cpu(), gt.detach().float().cpu()
            res = {m: FUNCS[m](pred, gt).numpy() for m in self.metrics}
            samples = get('pred_samples')
            if samples is not None:
                res.update(self._of_samples(samples.detach().float().cpu(), gt))
            last = get('last_observed')
            if self.copy_last and last is not None:
                base = last.detach().float().cpu().unsqueeze(0).expand_as(gt)
                res.update({f'copy_last/{m}': FUNCS[m](base, gt).numpy() for m in self.metrics})
            self.results.append(res)

    def _of_samples(self, samples, gt) -> Dict[str, np.ndarray]:
        """Best / mean / worst over the S samples of one clip, per step."""
        out = {}
        for m in self.metrics:
            per = np.stack([FUNCS[m](s, gt).numpy() for s in samples])  # (S, steps)
            score = per.mean(1) * (1 if m in HIGHER_IS_BETTER else -1)
            out[f'best/{m}'] = per[int(score.argmax())]
            out[f'mean/{m}'] = per.mean(0)
            out[f'worst/{m}'] = per[int(score.argmin())]
        return out

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        out = {}
        for key in results[0]:
            per_step = np.stack([r[key] for r in results]).mean(0)  # (S,)
            out[key] = float(per_step.mean())
            if self.per_step:
                for k, v in enumerate(per_step, 1):
                    out[f'{key}_t{k}'] = float(v)
        MMLogger.get_current_instance().info(format_video_table(out))
        return out


def format_video_table(res: Dict[str, float]) -> str:
    """Markdown-ish table: rows = steps + mean, columns = metrics for model | copy-last."""
    names = [m for m in ('mse', 'mae', 'psnr', 'ssim') if m in res]
    steps = sorted({int(k.rsplit('_t', 1)[1]) for k in res
                    if '_t' in k and k.split('_t')[0] in names})
    cols = names + [f'{g}/{m}' for g in ('best', 'mean', 'worst', 'copy_last') for m in names
                    if f'{g}/{m}' in res]
    lines = ['| step | ' + ' | '.join(cols) + ' |', '|' + '---|' * (len(cols) + 1)]
    for s in steps:
        lines.append(f'| t+{s} | ' + ' | '.join(f'{res.get(f"{c}_t{s}", float("nan")):.4f}'
                                                 for c in cols) + ' |')
    lines.append('| mean | ' + ' | '.join(f'{res[c]:.4f}' for c in cols) + ' |')
    return 'video prediction metrics (model | best/mean/worst of S | copy-last):\n' \
        + '\n'.join(lines)
