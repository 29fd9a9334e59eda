"""The detection-transfer table for any pretraining -> detection pair, with the controls, and the
transfer margin as a function of pretraining iterations.

    python tools/analysis_tools/transfer_table.py PRETRAIN_CFG DET_CFG \
        --raw-root RAW --object-root OBJECT [--pretrain-iters 80] [--det-epochs 6] \
        [--entries pretrained random random_frame_diff pretrained_no_masks scratch] \
        [--sweep-iters 40 160 320] [--checkpoint CKPT --pretrain-seconds S] [--seed 0] \
        [--work-dir work_dirs/transfer_table]

It pretrains PRETRAIN_CFG on RAW (KITTI raw layout) for ``--pretrain-iters`` (or takes
``--checkpoint``), then trains and tests DET_CFG on OBJECT (KITTI object layout) once per entry
of the table (crevdet/apis/transfer.py: the pretrained backbone, (a) random, (b) random with
frame-difference masks, (c) pretrained with the masks zeroed, (d) end to end from scratch for
the same wall-clock, (e) pretrained and fine-tuned end to end on the detector's schedule).
``--sweep-iters`` also trains the detector on the checkpoints of those pretraining iterations
(one pretraining run to the largest) and plots the margin over (a)
against the iterations (``margin_vs_iters.png``, ``margin_vs_iters.md``). Everything goes to a
new ``<work-dir>/<timestamp>/``; the tables to ``summary.md``.
Example (the demo's pair, moving camera; after ``python tools/demo.py`` wrote the data):

    python tools/analysis_tools/transfer_table.py configs/demo/pretrain_demo.py \
        configs/demo/ssd_demo.py --raw-root work_dirs/demo_data_moving/raw \
        --object-root work_dirs/demo_data_moving/object --sweep-iters 40 160 320
"""
import argparse
import json
import math
import os
import os.path as osp
import time
from functools import reduce

from crevdet.apis.transfer import (ENTRIES, TRAIN, ToolFailed, budget_minutes, detector_schedule,
                                   entry_config, pretrain_options, repo_config, run_tool,
                                   train_and_test, transfer_table)
from crevdet.utils.progress import ProgressLog
from crevdet.cli import CfgDictAction
from crevdet.cli.common import check_checkpoint_arg, check_work_dir, read_config


log = ProgressLog('transfer')


def plot_margin(sweep: dict, random_map: float, png: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    its = sorted(sweep)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot([0] + its, [0.0] + [sweep[i] - random_map for i in its], 'o-',
            label='pretrained - random (a)')
    ax.axhline(0, color='grey', lw=0.8)
    ax.set_xlabel('pretraining iterations')
    ax.set_ylabel('mAP R40 margin over (a)')
    ax.set_xscale('symlog', linthresh=40)
    ax.set_xticks([0] + its)
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)


def main(argv=None):
    log.start()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('pretrain_config')
    parser.add_argument('det_config')
    parser.add_argument('--raw-root', help='KITTI raw layout root for pretraining')
    parser.add_argument('--object-root', required=True, help='KITTI object layout root')
    parser.add_argument('--pretrain-iters', type=int, default=80)
    parser.add_argument('--det-epochs', type=int, default=None,
                        help='detector epochs (default: the config\'s); the step decay after '
                        '2/3 of them')
    parser.add_argument('--entries', nargs='+', default=list(ENTRIES), choices=list(ENTRIES))
    parser.add_argument('--sweep-iters', nargs='*', type=int, default=[],
                        help='also train the detector on these pretraining checkpoints')
    parser.add_argument('--checkpoint', help='an existing pretraining checkpoint (no pretraining '
                                             'run; no sweep)')
    parser.add_argument('--pretrain-seconds', type=float, default=None,
                        help='with --checkpoint: the wall-clock its pretraining took, for the '
                             'scratch entry\'s budget')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=CfgDictAction,
                        help='overrides of the detection config for every entry, key=value '
                             '(e.g. train_dataloader.dataset.ann_file=ImageSets/train_40.txt '
                             'for a labelled subset)')
    parser.add_argument('--work-dir', default='work_dirs/transfer_table')
    args = parser.parse_args(argv)
    if args.checkpoint and args.sweep_iters:
        parser.error('--sweep-iters needs a pretraining run; leave out --checkpoint')
    if not args.checkpoint and not args.raw_root:
        parser.error('give --raw-root (pretraining data) or --checkpoint')
    if any(i < 1 for i in args.sweep_iters + [args.pretrain_iters]):
        parser.error('pretraining iterations must be >= 1')
    if args.checkpoint and 'scratch' in args.entries and args.pretrain_seconds is None:
        parser.error('the scratch entry with --checkpoint needs --pretrain-seconds')
    if 'scratch' in args.entries and \
            'pretrained' not in args.entries[:args.entries.index('scratch')]:
        parser.error('the scratch entry takes its budget from the pretrained entry: list '
                     'pretrained before it')
    for path in (args.object_root, args.raw_root):
        if path and not osp.isdir(path):
            parser.error(f'no such folder: {path}')
    check_work_dir(args.work_dir)  # before any run starts
    if args.checkpoint:  # missing or truncated: one line now, not a failed detector run later
        check_checkpoint_arg(args.checkpoint, '--checkpoint')
    run_dir = osp.abspath(osp.join(args.work_dir, time.strftime('%Y%m%d_%H%M%S')))
    os.makedirs(run_dir, exist_ok=False)
    obj = osp.abspath(args.object_root) + '/'
    options = {'randomness.seed': args.seed}
    if args.det_epochs:
        options.update(detector_schedule(args.det_epochs, args.seed))
    options.update(args.cfg_options or {})
    try:
        if args.checkpoint:
            ckpt, pre_secs = args.checkpoint, args.pretrain_seconds
        else:
            iters = sorted(set(args.sweep_iters + [args.pretrain_iters]))
            every = reduce(math.gcd, iters)
            total = run_tool(TRAIN + [args.pretrain_config, '--work-dir',
                              osp.join(run_dir, 'pretrain'), '--cfg-options'] +
                             pretrain_options(read_config(repo_config(args.pretrain_config)),
                                              osp.abspath(args.raw_root), iters[-1], every,
                                              args.seed),
                             osp.join(run_dir, 'pretrain.log'),
                             f'pretraining to {iters[-1]} iterations', log)
            ckpt = osp.join(run_dir, 'pretrain', f'iter_{args.pretrain_iters}.pth')
            # the wall-clock up to --pretrain-iters (iterations take equal time)
            pre_secs = total * args.pretrain_iters / iters[-1]
        results = {}
        for entry in args.entries:
            budget = None
            if entry == 'scratch':
                if 'pretrained' not in results:
                    raise ToolFailed(f'the {entry} entry needs the pretrained entry before it')
                budget = budget_minutes(entry, pre_secs, results['pretrained']['train_seconds'])
            cfg = entry_config(args.det_config, entry, ckpt, obj, options, budget)
            results[entry] = train_and_test(cfg, run_dir, entry, log)
            json.dump(results, open(osp.join(run_dir, 'results.json'), 'w'), indent=2)
        sweep = {}
        # the table's own pretraining length is a point of the curve too
        points = sorted(set(args.sweep_iters + [args.pretrain_iters])) if args.sweep_iters else []
        for it in points:
            if it == args.pretrain_iters and 'pretrained' in results:
                sweep[it] = results['pretrained']
                continue
            cfg = entry_config(args.det_config, 'pretrained',
                               osp.join(run_dir, 'pretrain', f'iter_{it}.pth'), obj, options)
            sweep[it] = train_and_test(cfg, run_dir, f'pretrained_iter{it}', log)
            json.dump(sweep, open(osp.join(run_dir, 'sweep.json'), 'w'), indent=2)
    except ToolFailed as e:
        raise SystemExit(str(e))
    title = (f'{args.pretrain_config} -> {args.det_config}; pretraining {args.pretrain_iters} '
             f'iterations, seed {args.seed}\n')
    out = [transfer_table(results, title)]
    if sweep:
        if 'random' not in results:
            raise SystemExit('the margin against iterations needs the random entry (a)')
        r = results['random']['kitti/mAP_R40']
        rows = ['| pretraining iterations | mAP R40 | margin over (a) |', '|---:|---:|---:|',
                f'| 0 (control (a)) | {r:.2f} | 0.00 |']
        rows += [f"| {it} | {sweep[it]['kitti/mAP_R40']:.2f} | "
                 f"{sweep[it]['kitti/mAP_R40'] - r:+.2f} |" for it in sorted(sweep)]
        md = '\n'.join(rows)
        open(osp.join(run_dir, 'margin_vs_iters.md'), 'w').write(md + '\n')
        plot_margin({it: sweep[it]['kitti/mAP_R40'] for it in sweep}, r,
                    osp.join(run_dir, 'margin_vs_iters.png'))
        out.append('\nThe margin against pretraining iterations (same detector schedule):\n' + md)
    text = '\n'.join(out)
    print(text)
    open(osp.join(run_dir, 'summary.md'), 'w').write(text + '\n')
    log(f'outputs in {run_dir}')


if __name__ == '__main__':
    main()
