"""Learning curves of video predictors: train each config for the same budget, evaluate all of
them on the same fixed test clips at regular points, write a CSV and a PNG plot.

    python tools/analysis_tools/learning_curves.py CONFIG [CONFIG ...]
        --data mmnist|smmnist|kitti|DATA_CONFIG.py [--data-root DIR]
        (--minutes M | --iters N) [--points P | --every-minutes m | --every-iters n]
        [--batch B] [--test-clips N] [--samples S] [--workers W] [--seed S] [--labels A B ...]
        [--work-dir work_dirs/learning_curves]
    python tools/analysis_tools/learning_curves.py --merge RUN_DIR [RUN_DIR ...]

The data, the budget, the batch size and the test clips are the same for every model (see
``ablation.py`` for ``--data``); each model keeps its own optimiser. The first point is the
untrained model (iteration 0), the last one the end of the budget; evaluation time is not training
time. Outputs in ``<work-dir>/<timestamp>/``: ``curves.csv`` (one row per model and point:
iteration, training minutes, MSE per frame, SSIM, PSNR, MAE; for a stochastic model also
the best / mean / worst of its S samples), ``curves.png`` (MSE / SSIM / PSNR
against training minutes and iterations, copy-last-frame as a dashed line), ``curves.md`` (the
final points as a table) and ``curves.json``; every model's run (log, checkpoint,
``learning_curve.csv``, prediction grid of the last point) in ``<model>/``.

``--merge`` puts runs made separately (e.g. in parallel, one pinned core each) into one plot and
table; it refuses runs whose data, budget or test clips differ (checked through the copy-last
figures, which depend only on the test clips).

For a fair equal-time comparison pin one core, as the published curves were measured
(docs/benchmarks/video_prediction.md):
``OMP_NUM_THREADS=1 taskset -c 1 python tools/analysis_tools/learning_curves.py ...``.
"""
import argparse
import os
import os.path as osp
import sys
import time

from mmengine.hooks import Hook

from crevdet.apis.budget_training import (BudgetError, data_spec, prepare_run, protocol, subset,
                                          train_for_budget)
from crevdet.cli import config_path, exit_on
from crevdet.cli.common import check_work_dir, dataset_errors, read_json_file
from crevdet.utils import register_all_modules
from crevdet.visualization.learning_curves import METRICS, write_outputs, write_rows_csv



class BudgetProgress(Hook):
    """A progress bar over the training budget (minutes or iterations) of one model."""

    priority = 'VERY_LOW'

    def __init__(self, name: str, minutes, iters, curve_hook) -> None:
        from tqdm import tqdm
        total = round(minutes * 60) if minutes else iters
        self.bar = tqdm(total=total, desc=name, unit='s' if minutes else 'it', file=sys.stderr,
                        dynamic_ncols=True, leave=True)
        self.minutes, self.curve = minutes, curve_hook

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        done = min(self.bar.total, round(self.curve.train_seconds(runner))) if self.minutes \
            else runner.iter + 1
        self.bar.update(done - self.bar.n)
        loss = outputs.get('loss') if isinstance(outputs, dict) else None
        last = self.curve.rows[-1] if self.curve.rows else {}
        self.bar.set_postfix(it=runner.iter + 1,
                             loss='-' if loss is None else f'{float(loss.detach()):.4f}',
                             test_mse=f"{last.get('mse', float('nan')):.1f}")

    def after_train(self, runner) -> None:
        self.bar.close()


def run_curve(config, label, args, train, test, limit, out_dir):
    """Train ``config`` for the budget with a :class:`LearningCurveHook`; returns its rows and
    the number of test clips."""
    from crevdet.engine.hooks import LearningCurveHook
    from crevdet.pretrain_configs import set_protocol
    from crevdet.cli.common import read_config
    cfg = read_config(config)
    if cfg.model.get('type') == 'VQVAEVideoPredictor' and cfg.model.get('stage') == 'vqvae':
        raise SystemExit(f'error: {config} is a stage-1 VQ-VAE (it cannot predict before its '
                         'priors are trained); use tools/analysis_tools/ablation.py for it')
    spec = data_spec(args)
    n_past, n_future = protocol(args)
    set_protocol(cfg.model, spec['in_channels'], n_past, n_future, spec['frame_size'])
    cfg.load_from = None
    cfg.train_dataloader = train.copy()
    test_ds = subset(test.dataset, limit) if limit else test.dataset
    if isinstance(test_ds, dict):
        from crevdet.registry import DATASETS, build_crevdet
        test_ds = build_crevdet(DATASETS, test_ds)
    if args.every_minutes is None and args.every_iters is None:  # --points evenly spaced
        every_min = args.minutes / (args.points - 1) if args.minutes else None
        every_it = max(1, args.iters // (args.points - 1)) if args.iters else None
    else:
        every_min, every_it = args.every_minutes, args.every_iters
    hook = LearningCurveHook(datasets=[dict(name='test', dataset=test_ds)], interval=every_it,
                             interval_minutes=every_min, n_past=n_past, n_future=n_future,
                             max_clips=None, batch_size=args.test_batch, num_vis=2,
                             num_samples=args.samples)
    hooks = [hook] if args.verbose else [hook, BudgetProgress(label, args.minutes, args.iters,
                                                              hook)]
    train_for_budget(cfg, args, osp.join(out_dir, label), hooks=hooks)
    return [dict(model=label, config=config, **r) for r in hook.rows], len(test_ds)


def merge(run_dirs, work_dir, cmd):
    """One plot and table from several ``curves.json`` of the same data, budget and clips."""
    runs = []
    for d in run_dirs:
        path = d if d.endswith('.json') else osp.join(d, 'curves.json')
        if not osp.isfile(path):
            raise SystemExit(f'error: {path} not found (give the output folders of '
                             'learning_curves.py runs)')
        run = read_json_file(path, 'the curves.json of a learning_curves.py run')
        if not run.get('rows'):
            raise SystemExit(f'error: {path} holds no curve rows')
        runs.append((path, run))
    ref_path, ref = runs[0]
    rows, labels = [], []
    for path, run in runs:
        for key in ('data', 'budget'):
            if run.get(key) != ref.get(key):
                raise SystemExit(f'error: {path} has {key}={run.get(key)!r} but {ref_path} '
                                 f'has {ref.get(key)!r}; only equal-budget runs merge')
        for m in METRICS:
            a, b = run['rows'][0][f'copy_last/{m}'], ref['rows'][0][f'copy_last/{m}']
            if abs(a - b) > 1e-6 * max(1.0, abs(b)):
                raise SystemExit(f'error: {path} was evaluated on other test clips than '
                                 f'{ref_path} (copy-last {m} {a:.6g} vs {b:.6g})')
        for r in run['rows']:
            if r['model'] not in labels:
                labels.append(r['model'])
        rows += run['rows']
    dup = [lb for lb in labels if len({p for p, run in runs
                                       if any(r['model'] == lb for r in run['rows'])}) > 1]
    if dup:
        raise SystemExit(f'error: model name(s) {dup} appear in more than one run')
    header = ref.get('header', f"{ref['data']}, same budget per model: {ref['budget']}")
    out_dir = osp.join(work_dir, time.strftime('%Y%m%d_%H%M%S') + '_merged')
    os.makedirs(out_dir, exist_ok=False)
    write_outputs(out_dir, rows, labels, header, cmd,
                  dict(data=ref['data'], budget=ref['budget'], note=ref.get('note'),
                       merged=[p for p, _ in runs]))
    return out_dir


@exit_on(BudgetError)  # a bad --data / --data-root: error: <why>
@dataset_errors()  # e.g. a truncated MNIST file: error: <its name and why>
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='*', help='pretraining configs (their model and '
                        'optimiser are used)')
    parser.add_argument('--merge', nargs='+', metavar='RUN_DIR',
                        help='combine earlier runs (their output folders) into one plot/table')
    parser.add_argument('--labels', nargs='+', help='names in the plot (default: config names)')
    parser.add_argument('--data', default='mmnist',
                        help='a preset (mmnist, smmnist, kitti) or a data config file (.py)')
    parser.add_argument('--data-root', help='default: the preset\'s or the data config\'s')
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument('--iters', type=int, help='training iterations per model')
    budget.add_argument('--minutes', type=float, help='training wall-clock minutes per model')
    points = parser.add_mutually_exclusive_group()
    points.add_argument('--points', type=int, default=6,
                        help='evaluation points spread evenly over the budget, the untrained '
                        'start and the end included (default 6)')
    points.add_argument('--every-minutes', type=float, help='evaluate every M training minutes')
    points.add_argument('--every-iters', type=int, help='evaluate every N iterations')
    parser.add_argument('--n-past', type=int, help='observed frames (default: the data\'s)')
    parser.add_argument('--n-future', type=int, help='predicted frames (default: the data\'s)')
    parser.add_argument('--batch', type=int, help='training batch size (default: the data\'s)')
    parser.add_argument('--test-clips', type=int, default=128, help='fixed test clips')
    parser.add_argument('--test-batch', type=int, default=16, help='evaluation batch size')
    parser.add_argument('--samples', type=int, help='futures drawn per test clip from a '
                        'stochastic model (best / mean of S; default: its num_samples)')
    parser.add_argument('--workers', type=int, default=0, help='dataloader workers')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--log-interval', type=int, default=50)
    parser.add_argument('--verbose', action='store_true',
                        help='show the runners\' logs instead of a progress bar')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'learning_curves'))
    args = parser.parse_args(argv)
    args.quiet = not args.verbose
    check_work_dir(args.work_dir)  # before any run is read, data loaded or model trained
    cmd = 'python tools/analysis_tools/learning_curves.py ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    if args.merge:
        if args.configs:
            raise SystemExit('error: give either configs to train or --merge RUN_DIR ...')
        return merge(args.merge, args.work_dir, cmd)
    if not args.configs:
        parser.error('the following arguments are required: configs (or --merge)')
    if args.iters is None and args.minutes is None:
        parser.error('one of the arguments --iters --minutes is required')
    if (args.iters is not None and args.iters < 1) or \
            (args.minutes is not None and args.minutes <= 0):
        raise SystemExit('error: the budget (--iters / --minutes) must be positive')
    if args.samples is not None and args.samples < 1:
        raise SystemExit('error: --samples must be >= 1')
    if args.points is not None and args.points < 2:
        raise SystemExit('error: --points must be >= 2 (the untrained start and the end)')
    if args.every_minutes is not None and not args.minutes:
        raise SystemExit('error: --every-minutes needs a --minutes budget')
    args.configs = [config_path(c) for c in args.configs]  # crevdet::NAME: a shipped config
    missing = [c for c in args.configs if not osp.isfile(c)]
    if missing:
        raise SystemExit(f'error: config file(s) not found: {", ".join(missing)}')
    labels = args.labels or [osp.splitext(osp.basename(c))[0] for c in args.configs]
    if len(labels) != len(args.configs) or len(set(labels)) != len(labels):
        raise SystemExit(f'error: --labels needs one distinct name per config '
                         f'({len(args.configs)}), got {labels}')
    register_all_modules(init_default_scope=False)
    train, test, limit, note, out_dir = prepare_run(args)
    if note:
        print(note, file=sys.stderr)
    rows = []
    for i, (config, label) in enumerate(zip(args.configs, labels)):
        print(f'[{i + 1}/{len(labels)}] {label}: {config}', file=sys.stderr, flush=True)
        new_rows, n_test = run_curve(config, label, args, train, test, limit, out_dir)
        rows += new_rows
        write_rows_csv(osp.join(out_dir, 'curves.csv'), rows)  # after every model
    n_past, n_future = protocol(args)
    budget = f'{args.iters} iterations' if args.iters else f'{args.minutes:g} min'
    header = (f"**{osp.basename(args.data)}** {n_past} -> {n_future}, same budget per model: "
              f"{budget}, batch {train.batch_size}, {n_test} test clips"
              + (f' ({note})' if note else ''))
    write_outputs(out_dir, rows, labels, header, cmd,
                  dict(data=args.data, budget=budget, note=note))
    return out_dir


if __name__ == '__main__':
    main()
