"""Evaluate the video predictor inside any training run (pretraining or detection fine-tuning)."""
import os.path as osp
import time
from typing import List, Optional, Sequence

import numpy as np
import torch
from PIL import Image
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.utils.data import DataLoader, Subset

from crevdet.registry import DATASETS, HOOKS, METRICS, build_crevdet
from crevdet.visualization import save_prediction_visuals
from .time_budget_hook import EVAL_SECONDS, eval_seconds


def find_video_predictor(model):
    """The model itself if it predicts video, else its backbone's predictor (``.net``)."""
    if is_model_wrapper(model):
        model = model.module
    if hasattr(model, 'rollout'):
        return model
    net = getattr(getattr(model, 'backbone', None), 'net', None)
    if net is not None and hasattr(net, 'rollout'):
        return net
    raise TypeError(f'{type(model).__name__} has no video predictor (expected a model with '
                    '`rollout`, or a backbone exposing one as `.net`)')


@HOOKS.register_module()
class VideoPredictionBenchmarkHook(Hook):
    """Every ``interval`` epochs (or iterations) evaluate the predictor on benchmark datasets.

    Args:
        datasets: dataset configs (or ``dict(name=..., dataset=cfg_or_dataset)``) yielding clips
            of at least ``n_past + n_future`` frames.
        n_past / n_future: default: the model's.
        interval / by_epoch: when to run.
        max_clips: evaluate at most this many clips per dataset (first ones, deterministic).
        num_vis: clips drawn in the PNG grid / GIF under ``<work_dir>/vis_benchmark/``.
        metric: the metric config (default ``VideoPredictionMetric``).
        num_samples: futures sampled per clip from a stochastic predictor (one with
            ``sample``, e.g. SRVP): the metric then adds ``best/``, ``mean/`` and ``worst/``
            of the S samples, beside the deterministic prediction (``rollout``). None: the
            model's own ``num_samples``. The draws are seeded (``sample_seed``), so every
            evaluation of a run sees the same noise.
    """
    priority = 'LOW'

    def __init__(self, datasets: Sequence[dict], n_past: Optional[int] = None,
                 n_future: Optional[int] = None, interval: int = 1, by_epoch: bool = True,
                 max_clips: Optional[int] = 64, batch_size: int = 4, num_vis: int = 2,
                 metric: Optional[dict] = None, num_samples: Optional[int] = None,
                 sample_seed: int = 0) -> None:
        if not datasets:
            raise ValueError('VideoPredictionBenchmarkHook needs at least one dataset')
        self.dataset_cfgs = [d if 'dataset' in d else dict(name=d['type'], dataset=d)
                             for d in datasets]
        self.n_past, self.n_future = n_past, n_future
        self.interval, self.by_epoch = interval, by_epoch
        self.max_clips, self.batch_size, self.num_vis = max_clips, batch_size, num_vis
        self.metric_cfg = metric or dict(type='VideoPredictionMetric', per_step=False)
        if num_samples is not None and num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.num_samples, self.sample_seed = num_samples, sample_seed
        self.samples_drawn: Optional[int] = None  # S of the last evaluation (None: deterministic)
        self._datasets: Optional[List] = None
        self.last_vis: dict = {}  # dataset name -> (file stem, first clips of the last evaluation)

    def _build(self):
        if self._datasets is None:
            self._datasets = []
            for d in self.dataset_cfgs:
                ds = d['dataset']
                if isinstance(ds, dict):  # a config; built datasets are used as they are
                    ds = build_crevdet(DATASETS, ds)
                if self.max_clips is not None and len(ds) > self.max_clips:
                    ds = Subset(ds, range(self.max_clips))
                self._datasets.append((d['name'], ds))
        return self._datasets

    def before_train(self, runner) -> None:
        self._build()  # a wrong dataset path fails now, not after hours of training

    def after_train_epoch(self, runner) -> None:
        if self.by_epoch and self.every_n_epochs(runner, self.interval):
            self.evaluate(runner)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.by_epoch and self.every_n_train_iters(runner, self.interval):
            self.evaluate(runner)

    def save_vis(self, runner, name: str) -> None:
        """Draw the first clips of ``name``'s last evaluation under ``<work_dir>/vis_benchmark``."""
        stem, vis = self.last_vis.get(name, (None, None))
        if vis is not None:
            png, _ = save_prediction_visuals(osp.join(runner.work_dir, 'vis_benchmark', stem),
                                             *vis)
            # and to every visualisation backend (vis_data/vis_image, TensorBoard's Images tab)
            runner.visualizer.add_image(f'benchmark_{name}', np.asarray(Image.open(png)),
                                        step=runner.iter)

    @torch.no_grad()
    def evaluate(self, runner, step: Optional[int] = None, save_vis: bool = True,
                 tag: str = '') -> dict:
        """Metrics of every dataset (``benchmark/<name>/<metric>``), logged and written to the
        visualiser; with ``save_vis`` the first clips are drawn to
        ``<work_dir>/vis_benchmark/<name>_<tag><epoch|iter><step>.{png,gif}``."""
        net = find_video_predictor(runner.model)
        n_past = self.n_past or net.n_past
        n_future = self.n_future or net.n_future
        was_training = net.training
        net.eval()
        t_start = time.perf_counter()
        if step is None:  # called from after_train_*: the counter is incremented after the hooks
            step = (runner.epoch if self.by_epoch else runner.iter) + 1
        unit = 'epoch' if self.by_epoch else 'iter'
        all_metrics = {}
        n_samples = self.num_samples or getattr(net, 'num_samples', 1)
        stochastic = hasattr(net, 'sample') and n_samples > 1
        self.samples_drawn = n_samples if stochastic else None
        try:
            for name, ds in self._build():
                metric = build_crevdet(METRICS, self.metric_cfg)
                gen = None
                vis = None
                loader = DataLoader(ds, batch_size=self.batch_size, collate_fn=pseudo_collate)
                for batch in loader:
                    frames = net.data_preprocessor(batch)['inputs']
                    pred, _ = net.rollout(frames, n_past, n_future)
                    pred = pred.clamp(0, 1)
                    samples = [dict(pred_frames=p, gt_frames=f[n_past:n_past + n_future],
                                    last_observed=f[n_past - 1]) for p, f in zip(pred, frames)]
                    if stochastic:
                        if gen is None:
                            gen = torch.Generator(frames.device).manual_seed(self.sample_seed)
                        drawn = net.sample(frames, n_past, n_future, n_samples,
                                           generator=gen).clamp(0, 1)
                        for d, s in zip(samples, drawn):
                            d['pred_samples'] = s
                    metric.process(batch, samples)
                    if vis is None:
                        k = min(self.num_vis, len(frames))
                        vis = (frames[:k, :n_past], frames[:k, n_past:n_past + n_future], pred[:k])
                res = metric.evaluate(len(ds))
                res = {f'benchmark/{name}/{k.split("/", 1)[1]}': v for k, v in res.items()}
                runner.visualizer.add_scalars(res, step=runner.iter)
                for k, v in res.items():
                    runner.message_hub.update_scalar(k, v)
                runner.logger.info(f'benchmark {name} ({unit} {step}): ' + ', '.join(
                    f'{k.rsplit("/", 1)[1]}={v:.4f}' for k, v in res.items()
                    if '/copy_last/' not in k))
                self.last_vis[name] = (f'{name}_{tag}{unit}{step}', vis)
                if save_vis:
                    self.save_vis(runner, name)
                all_metrics.update(res)
        finally:
            net.train(was_training)
            # evaluation is not training: TrainTimeBudgetHook subtracts this from its clock
            runner.message_hub.update_info(
                EVAL_SECONDS, eval_seconds(runner) + time.perf_counter() - t_start)
        return all_metrics
