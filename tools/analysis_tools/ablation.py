"""Train every selected video predictor for the same budget and print the quality table
(the paper's Table 2 layout: MSE / SSIM / PSNR per model plus the copy-last-frame row).

    python tools/analysis_tools/ablation.py [CONFIG ...] --data mmnist|smmnist|kitti
        [--data-root DIR] (--iters N | --minutes M) [--n-past P --n-future F] [--batch B]
        [--test-clips N] [--work-dir work_dirs/ablation]

CONFIG: pretraining configs (default: every ``configs/baselines/*.py``); only their ``model``
(and optimiser) is used: the data, the budget and the test set are the same for all of them.
* ``--data mmnist``: 2-digit Moving MNIST, 10 -> 10, 64x64. ``--data-root`` holds
  ``train-images-idx3-ubyte(.gz)`` and ``t10k-images-idx3-ubyte(.gz)``; with only the t10k file
  the digits are split 0-7999 (training) / 8000-9999 (test), so no test digit is ever trained on.
* ``--data smmnist``: stochastic Moving MNIST (a digit leaves a wall in a random direction),
  5 -> 10 like SVG / SRVP; same files and split as ``mmnist``.
* ``--data kitti``: KITTI raw, PredNet protocol (10 -> 1, 128x160), splits train / test.
* ``--data FILE.py``: a data config with ``train_dataloader``, ``test_dataloader`` and
  ``protocol = dict(in_channels=, n_past=, n_future=, frame_size=)`` (e.g.
  ``configs/_base_/datasets/kitti_raw_sample.py``: the real KITTI raw frames of ``../shared``).
``--n-past`` / ``--n-future`` change the protocol (the VQ-VAE needs multiples of 4, e.g. 4 -> 12).
Stochastic models (SRVP, the VQ-VAE) draw S samples per test clip; their rows add best-of-S and
mean-of-S SSIM / PSNR (deterministic models: S = 1, the same values). A two-stage model (a
``VQVAEVideoPredictor`` config with ``stage='vqvae'``) spends half the budget on the VQ-VAE and
half on its priors (stage 2 loads stage 1's checkpoint).
``--minutes`` gives each model the same wall-clock training time (what the efficiency claims are
about); ``--iters`` the same number of steps. Each model's run (logs, last checkpoint) lands in
``<work-dir>/<timestamp>/<model>/``; the table in ``<work-dir>/<timestamp>/ablation.{md,json}``.
"""
import argparse
import copy
import glob
import json
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

DATA = {
    'mmnist': dict(base='configs/_base_/datasets/moving_mnist.py', in_channels=1, n_past=10,
                   n_future=10, data_root='data/mnist/'),
    'smmnist': dict(base='configs/_base_/datasets/stochastic_moving_mnist.py', in_channels=1,
                    n_past=5, n_future=10, data_root='data/mnist/'),
    'kitti': dict(base='configs/_base_/datasets/kitti_raw.py', in_channels=3, n_past=10,
                  n_future=1, data_root='data/kitti_raw/'),
}
FRAME_SIZE = dict(mmnist=(64, 64), smmnist=(64, 64), kitti=(128, 160))


def data_spec(args) -> dict:
    """The preset of ``--data``, or the ``protocol`` of a data config file (with its path as
    ``base``)."""
    if args.data in DATA:
        return dict(DATA[args.data], frame_size=FRAME_SIZE[args.data])
    if not args.data.endswith('.py') or not osp.isfile(args.data):
        raise SystemExit(f'error: --data {args.data!r} is neither a preset ({", ".join(DATA)}) '
                         'nor an existing data config file (.py)')
    from mmengine.config import Config
    cfg = Config.fromfile(args.data)
    missing = [k for k in ('train_dataloader', 'test_dataloader', 'protocol') if k not in cfg]
    if missing:
        raise SystemExit(f'error: data config {args.data} lacks {", ".join(missing)} (it needs '
                         'train_dataloader, test_dataloader and protocol=dict(in_channels=, '
                         'n_past=, n_future=, frame_size=))')
    spec = dict(cfg.protocol)
    absent = [k for k in ('in_channels', 'n_past', 'n_future', 'frame_size') if k not in spec]
    if absent:
        raise SystemExit(f'error: protocol of {args.data} lacks {", ".join(absent)}')
    return dict(spec, base=osp.abspath(args.data), data_root=None)


def protocol(args):
    spec = data_spec(args)
    return (args.n_past or spec['n_past'], args.n_future or spec['n_future'])


def find_file(root: str, stem: str):
    for name in (stem, stem + '.gz'):
        if osp.isfile(osp.join(root, name)):
            return osp.join(root, name)
    return None


def data_config(args):
    """Train / test dataloader configs of the chosen data, pointed at ``--data-root``."""
    from mmengine.config import Config
    spec = data_spec(args)
    root = args.data_root or spec['data_root']
    if root is not None and not osp.isdir(root):
        raise SystemExit(f'error: --data-root {root!r} is not a directory')
    dcfg = Config.fromfile(osp.join(ROOT, spec['base']))
    train, test = dcfg.train_dataloader, dcfg.test_dataloader
    for loader in (train, test):
        loader.update(num_workers=args.workers, persistent_workers=args.workers > 0)
    if args.batch:
        train.batch_size = args.batch
    note = ''
    n_past, n_future = protocol(args)
    for loader in (train, test):
        key = 'seq_len' if args.data in ('mmnist', 'smmnist') else 'clip_len'
        if key in loader.dataset:  # (a wrapper such as ConcatDataset sets it per part)
            loader.dataset[key] = n_past + n_future
    if args.data in ('mmnist', 'smmnist'):
        test_file = find_file(root, 't10k-images-idx3-ubyte')
        if test_file is None:
            raise SystemExit(f'error: no t10k-images-idx3-ubyte(.gz) in {root}')
        train_file = find_file(root, 'train-images-idx3-ubyte')
        if train_file:
            train.dataset.update(mnist_file=train_file, digit_range=(0, 60000))
            test.dataset.update(mnist_file=test_file, digit_range=(0, 10000))
        else:
            note = ('no MNIST training digits in the data root: training on t10k digits '
                    '0-7999, testing on 8000-9999')
            train.dataset.update(mnist_file=test_file, digit_range=(0, 8000))
            test.dataset.update(mnist_file=test_file, digit_range=(8000, 10000))
        test.dataset.num_sequences = args.test_clips
        return train, test, None, note
    if root is not None:
        for loader in (train, test):
            if 'data_root' not in loader.dataset:
                raise SystemExit(f'error: --data-root: the datasets of {args.data} have no '
                                 'data_root to replace; edit the data config instead')
            loader.dataset.data_root = root
    return train, test, args.test_clips, note


def subset(dataset_cfg, n):
    """At most ``n`` clips spread evenly over the built test set (deterministic)."""
    from torch.utils.data import Subset

    from crevdet.registry import DATASETS, build_crevdet
    ds = build_crevdet(DATASETS, dataset_cfg)
    if len(ds) <= n:
        return ds
    step = len(ds) / n
    return Subset(ds, [int(i * step) for i in range(n)])


def train_for_budget(cfg, args, work_dir, share: float = 1.0, hooks=()):
    """Build a runner for ``cfg`` and train it for ``share`` of the budget; returns the runner
    and the training time in seconds (evaluations inside the loop excluded). ``hooks``: more
    custom hook configs or Hook objects (their evaluation time does not count as training time,
    see ``TrainTimeBudgetHook``)."""
    from crevdet.engine import CrevdetRunner
    from crevdet.engine.hooks.time_budget_hook import eval_seconds
    max_iters = max(1, int(args.iters * share)) if args.iters else 10 ** 9
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10 ** 9)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.param_scheduler = []  # constant lr: a short budget never reaches a decay milestone
    cfg.custom_hooks = [dict(type='TrainTimeBudgetHook', minutes=args.minutes * share)] \
        if args.minutes else []
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=args.log_interval)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=max_iters,
                                        by_epoch=False, save_last=True)
    cfg.log_processor = dict(type='LogProcessor', window_size=args.log_interval, by_epoch=False)
    cfg.work_dir = work_dir
    cfg.experiment_name = f'ablation_{osp.basename(work_dir)}_{time.strftime("%Y%m%d_%H%M%S")}'
    cfg.randomness = dict(seed=args.seed)
    cfg.custom_hooks += [h for h in hooks if isinstance(h, dict)]
    if getattr(args, 'quiet', False):
        cfg.log_level = 'WARNING'
    runner = CrevdetRunner.from_cfg(cfg)
    for h in hooks:
        if not isinstance(h, dict):
            runner.register_hook(h)
    t0 = time.perf_counter()
    runner.train()
    return runner, time.perf_counter() - t0 - eval_seconds(runner)


def run_one(config, args, train, test, limit, out_dir):
    """Train one model for the budget (two stages for a stage-1 VQ-VAE config), test it;
    returns its result row."""
    from mmengine.config import Config

    from crevdet.utils import set_protocol
    cfg = Config.fromfile(config)
    name = osp.splitext(osp.basename(config))[0]
    spec = data_spec(args)
    n_past, n_future = protocol(args)
    set_protocol(cfg.model, spec['in_channels'], n_past, n_future, spec['frame_size'])
    cfg.load_from = None
    cfg.train_dataloader = train
    cfg.test_dataloader = test.copy()
    if limit:
        cfg.test_dataloader.dataset = subset(test.dataset, limit)
    cfg.test_evaluator = dict(type='VideoPredictionMetric', per_step=False)
    two_stage = cfg.model.get('type') == 'VQVAEVideoPredictor' and \
        cfg.model.get('stage', 'vqvae') == 'vqvae'
    if two_stage:
        runner, t1 = train_for_budget(copy.deepcopy(cfg), args,
                                      osp.join(out_dir, name, 'stage1'), 0.5)
        iters1 = runner.iter
        ckpt = osp.join(runner.work_dir, f'iter_{iters1}.pth')
        cfg.model.stage = 'prior'
        cfg.load_from = ckpt
        runner, t2 = train_for_budget(cfg, args, osp.join(out_dir, name, 'stage2'), 0.5)
        iters, train_s = f'{iters1}+{runner.iter}', t1 + t2
    else:
        runner, train_s = train_for_budget(cfg, args, osp.join(out_dir, name))
        iters = runner.iter
    metrics = runner.test()
    model = getattr(runner.model, 'module', runner.model)
    m = lambda key: metrics[f'video/{key}']  # noqa: E731
    stochastic = 'video/best/psnr' in metrics
    row = dict(model=name, config=config, type=cfg.model.type, iters=iters,
               train_minutes=train_s / 60,
               params=sum(p.numel() for p in model.parameters()),
               samples=model.num_samples if stochastic else 1,
               mse=m('mse'), ssim=m('ssim'), psnr=m('psnr'),
               copy_last=dict(mse=m('copy_last/mse'), ssim=m('copy_last/ssim'),
                              psnr=m('copy_last/psnr')))
    for agg in ('best', 'mean'):
        row[agg] = {k: m(f'{agg}/{k}') if stochastic else row[k] for k in ('mse', 'ssim', 'psnr')}
    return row


def format_table(rows, header: str) -> str:
    """MSE / SSIM / PSNR of the first (or only) prediction, then best-of-S and mean-of-S."""
    lines = [header, '', '| model | iterations | train min | S | MSE / frame | SSIM | PSNR | '
             'best-of-S SSIM | best-of-S PSNR | mean-of-S SSIM | mean-of-S PSNR |',
             '|---|---:|---:|---:|' + '---:|' * 7]
    for r in rows:
        lines.append(f"| {r['model']} | {r['iters']} | {r['train_minutes']:.1f} | "
                     f"{r['samples']} | {r['mse']:.2f} | {r['ssim']:.4f} | {r['psnr']:.2f} | "
                     f"{r['best']['ssim']:.4f} | {r['best']['psnr']:.2f} | "
                     f"{r['mean']['ssim']:.4f} | {r['mean']['psnr']:.2f} |")
    c = rows[0]['copy_last']
    lines.append(f"| copy last frame | - | - | - | {c['mse']:.2f} | {c['ssim']:.4f} | "
                 f"{c['psnr']:.2f} | - | - | - | - |")
    return '\n'.join(lines)


def prepare_run(args):
    """Registers crevdet, builds the shared data (:func:`data_config`) and creates a new
    ``<work-dir>/<timestamp>/``; returns ``(train, test, limit, note, out_dir)``."""
    from crevdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    train, test, limit, note = data_config(args)
    out_dir = osp.join(args.work_dir, time.strftime('%Y%m%d_%H%M%S'))
    os.makedirs(out_dir, exist_ok=False)
    if note:
        print(note, file=sys.stderr)
    return train, test, limit, note, out_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='*', help='default: configs/baselines/*.py')
    parser.add_argument('--data', default='mmnist',
                        help=f'a preset ({", ".join(DATA)}) or a data config file (.py)')
    parser.add_argument('--data-root', help='default: data/mnist/ or data/kitti_raw/')
    budget = parser.add_mutually_exclusive_group(required=True)
    budget.add_argument('--iters', type=int, help='training iterations per model')
    budget.add_argument('--minutes', type=float, help='training wall-clock minutes per model')
    parser.add_argument('--n-past', type=int, help='observed frames (default: the data\'s)')
    parser.add_argument('--n-future', type=int, help='predicted frames (default: the data\'s)')
    parser.add_argument('--batch', type=int, help='training batch size (default: the data '
                        "config's: 16 for Moving MNIST, 8 for KITTI)")
    parser.add_argument('--test-clips', type=int, default=256, help='test sequences')
    parser.add_argument('--workers', type=int, default=1, help='dataloader workers')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--log-interval', type=int, default=20)
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'ablation'))
    args = parser.parse_args(argv)
    if (args.iters is not None and args.iters < 1) or (args.minutes is not None
                                                       and args.minutes <= 0):
        raise SystemExit('error: the budget (--iters / --minutes) must be positive')
    configs = args.configs or sorted(glob.glob(osp.join(ROOT, 'configs', 'baselines', '*.py')))
    missing = [c for c in configs if not osp.isfile(c)]
    if missing:
        raise SystemExit(f'error: config file(s) not found: {", ".join(missing)}')
    train, test, limit, note, out_dir = prepare_run(args)
    rows = []
    for i, config in enumerate(configs):
        print(f'[{i + 1}/{len(configs)}] training {config}', file=sys.stderr, flush=True)
        rows.append(run_one(config, args, train.copy(), test, limit, out_dir))
    n_past, n_future = protocol(args)
    budget = f'{args.iters} iterations' if args.iters else f'{args.minutes:g} min'
    header = (f"**{osp.basename(args.data)}** {n_past} -> {n_future}, same budget per model: "
              f"{budget}, batch {train.batch_size}, {args.test_clips} test clips" +
              (f' ({note})' if note else ''))
    table = format_table(rows, header)
    cmd = 'python tools/analysis_tools/ablation.py ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    with open(osp.join(out_dir, 'ablation.md'), 'w') as f:
        f.write(f'`{cmd.strip()}`\n\n{table}\n')
    with open(osp.join(out_dir, 'ablation.json'), 'w') as f:
        json.dump(dict(command=cmd.strip(), data=args.data, budget=budget, note=note,
                       rows=rows), f, indent=2)
    print(table)
    print(f'written: {out_dir}/ablation.md, ablation.json')


if __name__ == '__main__':
    main()
