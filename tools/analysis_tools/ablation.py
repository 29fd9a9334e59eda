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
``VQVAEVideoPredictor`` config with ``stage='vqvae'``) spends ``--stage1-share`` of the budget
(default half) on the VQ-VAE and the rest on its priors (stage 2 loads stage 1's checkpoint).
``--minutes`` gives each model the same wall-clock training time (what the efficiency claims are
about); ``--iters`` the same number of steps. Each model's run (logs, last checkpoint) lands in
``<work-dir>/<timestamp>/<model>/``; the table in ``<work-dir>/<timestamp>/ablation.{md,json}``.
"""
import argparse
import copy
import glob
import json
import os.path as osp
import sys

from crevdet.apis.budget_training import (DATA, BudgetError, data_spec, prepare_run, protocol,
                                          subset, train_for_budget)
from crevdet.utils import REPO_ROOT as ROOT, register_all_modules
from crevdet.cli import config_path, exit_on
from crevdet.cli.common import check_work_dir, dataset_errors


def run_one(config, args, train, test, limit, out_dir):
    """Train one model for the budget (two stages for a stage-1 VQ-VAE config), test it;
    returns its result row."""
    from crevdet.pretrain_configs import set_protocol
    from crevdet.cli.common import read_config
    cfg = read_config(config)
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
        share = args.stage1_share
        runner, t1 = train_for_budget(copy.deepcopy(cfg), args,
                                      osp.join(out_dir, name, 'stage1'), share)
        iters1 = runner.iter
        ckpt = osp.join(runner.work_dir, f'iter_{iters1}.pth')
        cfg.model.stage = 'prior'
        cfg.load_from = ckpt
        runner, t2 = train_for_budget(cfg, args, osp.join(out_dir, name, 'stage2'), 1 - share)
        iters, train_s = f'{iters1}+{runner.iter}', t1 + t2
    else:
        runner, train_s = train_for_budget(cfg, args, osp.join(out_dir, name))
        iters, share = runner.iter, None
    metrics = runner.test()
    model = getattr(runner.model, 'module', runner.model)
    m = lambda key: metrics[f'video/{key}']  # noqa: E731
    stochastic = 'video/best/psnr' in metrics
    row = dict(model=name, config=config, type=cfg.model.type, iters=iters,
               train_minutes=train_s / 60, stage1_share=share,
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


@exit_on(BudgetError)  # a bad --data / --data-root: error: <why>
@dataset_errors()  # e.g. a truncated MNIST file: error: <its name and why>
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
    parser.add_argument('--stage1-share', type=float, default=0.5,
                        help="a two-stage VQ-VAE's share of the budget for stage 1 (the rest "
                        'trains its priors)')
    parser.add_argument('--workers', type=int, default=1, help='dataloader workers')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--log-interval', type=int, default=20)
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'ablation'))
    args = parser.parse_args(argv)
    if (args.iters is not None and args.iters < 1) or (args.minutes is not None
                                                       and args.minutes <= 0):
        raise SystemExit('error: the budget (--iters / --minutes) must be positive')
    check_work_dir(args.work_dir)  # before any data is read or model trained
    if not 0 < args.stage1_share < 1:
        raise SystemExit(f'error: --stage1-share must be between 0 and 1 (exclusive), got '
                         f'{args.stage1_share}')
    configs = [config_path(c) for c in args.configs] or \
        sorted(glob.glob(osp.join(ROOT, 'configs', 'baselines', '*.py')))
    missing = [c for c in configs if not osp.isfile(c)]
    if missing:
        raise SystemExit(f'error: config file(s) not found: {", ".join(missing)}')
    register_all_modules(init_default_scope=False)
    train, test, limit, note, out_dir = prepare_run(args)
    if note:
        print(note, file=sys.stderr)
    rows = []
    for i, config in enumerate(configs):
        print(f'[{i + 1}/{len(configs)}] training {config}', file=sys.stderr, flush=True)
        rows.append(run_one(config, args, train.copy(), test, limit, out_dir))
    n_past, n_future = protocol(args)
    budget = f'{args.iters} iterations' if args.iters else f'{args.minutes:g} min'
    header = (f"**{osp.basename(args.data)}** {n_past} -> {n_future}, same budget per model: "
              f"{budget}, batch {train.batch_size}, {args.test_clips} test clips" +
              (f', a two-stage model {args.stage1_share:g} of it on stage 1'
               if args.stage1_share != 0.5 and any(r['stage1_share'] for r in rows)
               else '') + (f' ({note})' if note else ''))
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
