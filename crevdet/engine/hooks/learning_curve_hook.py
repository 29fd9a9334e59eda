"""Learning curves: evaluate the video predictor on fixed test clips at regular points of training.

Used by ``tools/analysis_tools/learning_curves.py``; works in any pretraining config too::

    custom_hooks = [dict(type='LearningCurveHook', interval_minutes=5,
                         datasets=[dict(name='test', dataset=...)])]

Evaluation time does not count as training time: every evaluation of
:class:`VideoPredictionBenchmarkHook` (this hook's base) adds its duration to the message hub's
``eval_seconds`` runtime info, which this hook and :class:`TrainTimeBudgetHook` subtract from their
clocks, so models with slow inference are not penalised in an equal-time comparison.
"""
import csv
import os.path as osp
import time
from typing import List, Optional, Sequence

from crevdet.registry import HOOKS
from crevdet.visualization.learning_curves import write_rows_csv
from .time_budget_hook import eval_seconds
from .video_prediction_benchmark_hook import VideoPredictionBenchmarkHook


@HOOKS.register_module()
class LearningCurveHook(VideoPredictionBenchmarkHook):
    """Evaluate before training (the untrained start), every ``interval_minutes`` of training
    time and/or every ``interval`` iterations, and after the last iteration.

    Each point is a row of ``<work_dir>/learning_curve.csv``: ``iter``, ``train_minutes``,
    ``dataset`` and the metric's mean values (``mse``, ``ssim``, ``psnr``, ``mae``, and the
    copy-last-frame baseline as ``copy_last/<m>``). ``rows`` keeps them in memory. A resumed run
    (``--resume``) keeps the rows up to its checkpoint and continues the training clock.

    Args:
        datasets / n_past / n_future / max_clips / batch_size / metric / num_samples: see
            :class:`VideoPredictionBenchmarkHook`.
        interval: evaluate every this many iterations (``None``: not by iterations).
        interval_minutes: evaluate every this many minutes of training time (``None``: not by
            time).
        eval_at_start: evaluate the model as it is before the first iteration.
        num_vis: clips drawn at the *last* point (``vis_benchmark/<name>_curve_iter<n>.png``).
    """

    def __init__(self, datasets: Sequence[dict], interval: Optional[int] = None,
                 interval_minutes: Optional[float] = None, eval_at_start: bool = True,
                 n_past: Optional[int] = None, n_future: Optional[int] = None,
                 max_clips: Optional[int] = 64, batch_size: int = 8, num_vis: int = 2,
                 metric: Optional[dict] = None, num_samples: Optional[int] = None) -> None:
        if interval is None and interval_minutes is None:
            raise ValueError('LearningCurveHook needs interval (iterations) and/or '
                             'interval_minutes (training minutes)')
        if (interval is not None and interval < 1) or \
                (interval_minutes is not None and interval_minutes <= 0):
            raise ValueError(f'LearningCurveHook: interval must be >= 1 and interval_minutes > 0, '
                             f'got {interval} and {interval_minutes}')
        super().__init__(datasets, n_past, n_future, interval=interval or 1, by_epoch=False,
                         max_clips=max_clips, batch_size=batch_size, num_vis=num_vis,
                         metric=metric, num_samples=num_samples)
        self.iter_interval = interval
        self.interval_minutes = interval_minutes
        self.eval_at_start = eval_at_start
        self.rows: List[dict] = []
        self._t0 = self._eval0 = None
        self._offset_s = 0.0
        self._next_minutes = None
        self._last_iter = None

    # ------------------------------------------------------------------ training clock
    def train_seconds(self, runner) -> float:
        """Wall-clock seconds since training started, minus every evaluation's time."""
        return self._offset_s + time.perf_counter() - self._t0 - (eval_seconds(runner) -
                                                                 self._eval0)

    def before_train(self, runner) -> None:
        self._build()
        self._t0, self._eval0 = time.perf_counter(), eval_seconds(runner)
        self._offset_s = 0.0
        if runner.iter > 0:  # resumed: keep the curve so far, continue its clock
            self.rows = self._read(runner, runner.iter)
            if self.rows:
                self._offset_s = 60 * self.rows[-1]['train_minutes']
                self._last_iter = self.rows[-1]['iter']
        self._next_minutes = None if self.interval_minutes is None else \
            self.interval_minutes * (int(self._offset_s / 60 / self.interval_minutes) + 1)
        if self.eval_at_start and self._last_iter != runner.iter:
            self._point(runner, runner.iter, vis=False)

    def after_train_epoch(self, runner) -> None:  # iteration-based only
        pass

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        done = runner.iter + 1  # the loop increments runner.iter after the hooks
        due = self.iter_interval is not None and done % self.iter_interval == 0
        if self._next_minutes is not None and self.train_seconds(runner) >= \
                60 * self._next_minutes:
            due = True
            while self.train_seconds(runner) >= 60 * self._next_minutes:
                self._next_minutes += self.interval_minutes
        if due:
            self._point(runner, done, vis=False)

    def after_train(self, runner) -> None:
        if self._last_iter != runner.iter:
            self._point(runner, runner.iter, vis=True)
        else:  # the last point was just evaluated: draw it
            for name, _ in self._build():
                self.save_vis(runner, name)

    # ------------------------------------------------------------------ one point
    def _point(self, runner, done: int, vis: bool) -> None:
        train_minutes = self.train_seconds(runner) / 60
        t = time.perf_counter()
        metrics = self.evaluate(runner, step=done, save_vis=vis, tag='curve_')
        eval_s = time.perf_counter() - t
        self._last_iter = done
        for name, _ in self._build():
            prefix = f'benchmark/{name}/'
            row = dict(iter=done, train_minutes=round(train_minutes, 4), dataset=name,
                       eval_seconds=round(eval_s, 2))
            if self.samples_drawn:  # a stochastic model: S futures per clip (best/ mean/ worst/)
                row['samples'] = self.samples_drawn
            row.update({k[len(prefix):]: float(v) for k, v in metrics.items()
                        if k.startswith(prefix)})
            self.rows.append(row)
        self._write(runner)

    @staticmethod
    def _read(runner, upto: int) -> List[dict]:
        """Rows of an existing ``learning_curve.csv`` up to iteration ``upto`` (a resumed run
        continues its curve instead of overwriting it)."""
        path = osp.join(runner.work_dir, 'learning_curve.csv')
        if not osp.isfile(path):
            return []
        rows = []
        with open(path, newline='') as f:
            for row in csv.DictReader(f):
                row = {k: (v if k == 'dataset' else float(v)) for k, v in row.items() if v != ''}
                row['iter'] = int(row['iter'])
                if row['iter'] <= upto:
                    rows.append(row)
        return rows

    def _write(self, runner) -> None:
        write_rows_csv(osp.join(runner.work_dir, 'learning_curve.csv'), self.rows)
