"""How far a KITTI mAP margin between detectors can be trusted: a paired bootstrap over the test
images, and the margin on disjoint smaller subsets of them.

    python tools/analysis_tools/map_interval.py REF.json OTHER.json [OTHER.json ...] \
        [--names ref other ...] [--boot 1000] [--level 0.9] [--subset-size 60] \
        [--threshold 5] [--key mAP_R40] [--seed 0]

Each file is one detector's test, written by ``tools/test.py ... --dump-detections FILE.json``
(the demo, ``transfer_table.py`` and ``heldout_test.py`` write ``detections.json`` beside each
entry's metrics). All files must hold the same images with the same ground truth. For each
OTHER the table gives REF's margin over it on all images, its bootstrap interval (the images
drawn again with replacement, the same draw for both detectors), the share of draws in which
REF is ahead, and, with ``--subset-size``, the margin on each disjoint subset of that many
images: what a test split of that size would have reported.
"""
import argparse
import os.path as osp

import numpy as np

from crevdet.evaluation.functional.kitti_interval import (bootstrap_draws, metric_on_draws,
                                                          subset_draws)
from crevdet.evaluation.metrics.kitti_metric import load_detections


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('files', nargs='+', metavar='FILE.json',
                        help='the reference detector, then the others (at least one)')
    parser.add_argument('--names', nargs='+', help='a name per file (default: its folder)')
    parser.add_argument('--boot', type=int, default=1000, help='bootstrap draws (default 1000)')
    parser.add_argument('--level', type=float, default=0.9,
                        help='central interval of the bootstrap margins (default 0.9)')
    parser.add_argument('--subset-size', type=int, default=0,
                        help='also the margin on disjoint subsets of this many images')
    parser.add_argument('--threshold', type=float, default=5.0,
                        help='report the share of bootstrap draws and subsets whose margin is at '
                             'least this (default 5)')
    parser.add_argument('--key', default='mAP_R40',
                        help='the kitti_eval result compared (default mAP_R40; e.g. mAP_R11, '
                             'Car_moderate_R40)')
    parser.add_argument('--seed', type=int, default=0, help='of the draws and the subsets')
    args = parser.parse_args(argv)
    if len(args.files) < 2:
        parser.error('give the reference file and at least one other')
    if args.names and len(args.names) != len(args.files):
        parser.error(f'--names: {len(args.names)} names for {len(args.files)} files')
    if args.boot < 1:
        parser.error(f'--boot must be >= 1, got {args.boot}')
    if not 0 < args.level < 1:
        parser.error(f'--level must be in (0, 1), got {args.level}')
    if args.subset_size < 0:
        parser.error(f'--subset-size must be >= 0, got {args.subset_size}')
    return args


def load_all(files, names):
    """name -> loaded file; every file on the reference's images and ground truth."""
    loaded = {}
    for path, name in zip(files, names):
        if not osp.isfile(path):
            raise SystemExit(f'error: {path}: no such file')
        try:
            loaded[name] = load_detections(path)
        except ValueError as e:
            raise SystemExit(f'error: {e}')
    ref, ref_path = next(iter(loaded.values())), files[0]
    for (name, d), path in zip(loaded.items(), files):
        if d['img_ids'] != ref['img_ids']:
            first = next((i for i, (a, b) in enumerate(zip(d['img_ids'], ref['img_ids']))
                          if a != b), min(len(d['img_ids']), len(ref['img_ids'])))
            raise SystemExit(f'error: {path} holds other images than {ref_path} '
                             f'({len(d["img_ids"])} vs {len(ref["img_ids"])} images, first '
                             f'difference at position {first}): test both on the same split')
        if d['gt'] != ref['gt']:
            bad = next(i for i, (a, b) in enumerate(zip(d['gt'], ref['gt'])) if a != b)
            raise SystemExit(f'error: {path} and {ref_path} differ in the ground truth of image '
                             f'{ref["img_ids"][bad]}: the label files changed between the tests')
        if d['classes'] != ref['classes']:
            raise SystemExit(f'error: {path} evaluates {d["classes"]}, {ref_path} '
                             f'{ref["classes"]}')
    return loaded


def main(argv=None):
    args = parse_args(argv)
    names = args.names or [osp.basename(osp.dirname(osp.abspath(f))) or f for f in args.files]
    if len(set(names)) != len(names):
        names = list(args.files)
    loaded = load_all(args.files, names)
    ref_name, ref = next(iter(loaded.items()))
    gt, classes, n = ref['gt'], ref['classes'], len(ref['gt'])
    if args.subset_size > n:
        raise SystemExit(f'error: --subset-size {args.subset_size} is more than the {n} images '
                         f'of {args.files[0]}')
    # each detector's metric on all images, on every draw and every subset, computed once;
    # the margins are differences (the same draws for every detector: paired)
    sets = {'all': np.arange(n)[None], 'boot': bootstrap_draws(n, args.boot, args.seed)}
    if args.subset_size:
        sets['sub'] = subset_draws(n, args.subset_size, args.seed)
    try:
        metric = {name: {s: metric_on_draws(gt, d['det'], draws, classes, args.key)
                         for s, draws in sets.items()} for name, d in loaded.items()}
    except KeyError as e:
        raise SystemExit(f'error: --key: {e.args[0]}')
    lo, hi = (1 - args.level) / 2 * 100, (1 + args.level) / 2 * 100
    t = args.threshold
    head = (f'| {ref_name} minus | {args.key}: {ref_name} / other | margin, {n} images | '
            f'{args.level:.0%} bootstrap interval | draws > 0 | draws >= {t:g} |')
    cols = 6
    if args.subset_size:
        head += (f' on {len(sets["sub"])} disjoint {args.subset_size}-image subsets: mean '
                 f'[min, max] | subsets >= {t:g} |')
        cols += 2
    lines = [f'KITTI {args.key}, {n} images, {args.boot} paired bootstrap draws (seed '
             f'{args.seed})', '', head, '|---|' + '---:|' * (cols - 1)]
    ref_m = metric[ref_name]
    for name in list(loaded)[1:]:
        m = metric[name]
        margin = {s: ref_m[s] - m[s] for s in sets}
        boot = margin['boot']
        row = (f'| {name} | {ref_m["all"][0]:.2f} / {m["all"][0]:.2f} | '
               f'{margin["all"][0]:+.2f} | '
               f'[{np.percentile(boot, lo):+.2f}, {np.percentile(boot, hi):+.2f}] | '
               f'{np.mean(boot > 0):.0%} | {np.mean(boot >= t):.0%} |')
        if args.subset_size:
            sub = margin['sub']
            row += (f' {sub.mean():+.2f} [{sub.min():+.2f}, {sub.max():+.2f}] | '
                    f'{int(np.sum(sub >= t))} of {len(sub)} |')
        lines.append(row)
    print('\n'.join(lines))
    return lines


if __name__ == '__main__':
    main()
