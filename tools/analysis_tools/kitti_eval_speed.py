"""Time the KITTI 2D evaluation on a KITTI-sized label set, fast implementation against the line-by-
line devkit transliteration (the reference), and check that they agree.

    python tools/analysis_tools/kitti_eval_speed.py [--images 7481] [--seed 0] [--repeat 5]
                                                    [--no-reference] [--devkit BINARY]

The labels are random with KITTI's per-image object counts (``random_kitti_annotations``: every
type, DontCare, neighbours, tiny boxes, tied scores) and detections of a plausible detector.
Prints the seconds of each implementation (the fast one: median of ``--repeat`` runs, as the
machine may be shared), the ratio, and the largest AP difference over the 18
Car/Pedestrian/Cyclist x Easy/Moderate/Hard x R40/R11 entries.

``--devkit BINARY`` times a devkit binary on the same set, side by side: the labels and
detections are written as ``label_2`` text files (detections with a score, no 3D fields, so only
the 2D image evaluation runs), the binary evaluates ``<tmp>/gt`` against ``<tmp>/results``, and
``kitti_eval`` is timed from the same files (reading and parsing them included, as the devkit
does). Its precision curves (``results/stats_<class>_detection.txt``, printed with 6 decimals)
are compared with ``kitti_eval``'s. The figures, and how the binary used for them was built:
docs/benchmarks/detection_speed.md#kitti-evaluation-speed.
"""
import argparse
import os
import os.path as osp
import statistics
import subprocess
import tempfile
import time

import numpy as np


def write_label_files(gts, dets, root: str) -> tuple:
    """``gts`` / ``dets`` (per-image lists) as KITTI text files ``<root>/gt/%06d.txt`` (15
    fields) and ``<root>/results/data/%06d.txt`` (16, the score last)."""
    from crevdet.datasets.kitti_labels import format_kitti_label_line, format_kitti_line
    gt_dir, res_dir = osp.join(root, 'gt'), osp.join(root, 'results')
    os.makedirs(gt_dir)
    os.makedirs(osp.join(res_dir, 'data'))
    for i, (g, d) in enumerate(zip(gts, dets)):
        with open(osp.join(gt_dir, f'{i:06d}.txt'), 'w') as fh:
            fh.writelines(format_kitti_label_line(o) + '\n' for o in g)
        with open(osp.join(res_dir, 'data', f'{i:06d}.txt'), 'w') as fh:
            fh.writelines(format_kitti_line(o['type'], o['bbox'], o['score']) + '\n'
                          for o in d)
    return gt_dir, res_dir


def read_label_files(gt_dir: str, res_dir: str, n_images: int) -> tuple:
    """The per-image ground truth and detections of :func:`write_label_files`'s files."""
    from crevdet.datasets.kitti_labels import parse_kitti_label_line

    def read(path):
        with open(path) as fh:
            return [parse_kitti_label_line(ln, path) for ln in fh if ln.strip()]
    names = [f'{i:06d}.txt' for i in range(n_images)]
    return ([read(osp.join(gt_dir, n)) for n in names],
            [read(osp.join(res_dir, 'data', n)) for n in names])


def devkit_curves(res_dir: str) -> dict:
    """The devkit's 41-point precision per class and difficulty from its stats files."""
    out = {}
    for cls in ('Car', 'Pedestrian', 'Cyclist'):
        path = osp.join(res_dir, f'stats_{cls.lower()}_detection.txt')
        if osp.exists(path):
            with open(path) as fh:
                for d, line in zip(('easy', 'moderate', 'hard'), fh):
                    out[f'{cls}_{d}'] = np.array(line.split(), float)
    return out


def compare_with_devkit(binary: str, gts, dets, repeat: int) -> None:
    from crevdet.evaluation.functional import kitti
    with tempfile.TemporaryDirectory() as tmp:
        gt_dir, res_dir = write_label_files(gts, dets, tmp)
        t_dev, t_ours = [], []
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            run = subprocess.run([binary, gt_dir, res_dir], capture_output=True, text=True)
            t_dev.append(time.perf_counter() - t0)
            if run.returncode != 0:
                raise SystemExit(f'error: the devkit binary {binary} failed '
                                 f'(exit {run.returncode}): {run.stderr[-500:]}')
            t0 = time.perf_counter()
            ours = kitti.kitti_eval(*read_label_files(gt_dir, res_dir, len(gts)))
            t_ours.append(time.perf_counter() - t0)
        curves = devkit_curves(res_dir)
    if not curves:
        raise SystemExit(f'error: the devkit binary {binary} wrote no stats_<class>_detection.txt '
                         'files; is it the KITTI object devkit (evaluate_object gt_dir '
                         'result_dir)?')
    diff, n = 0.0, 0
    for key, prec in curves.items():
        if f'{key}_R40' not in ours:  # no counted ground truth: kitti_eval reports no AP
            continue
        n += 2
        diff = max(diff, abs(kitti.ap_r40(prec) - ours[f'{key}_R40']),
                   abs(kitti.ap_r11(prec) - ours[f'{key}_R11']))
    med_dev, med_ours = statistics.median(t_dev), statistics.median(t_ours)
    print(f'devkit binary:             {med_dev:7.3f} s (median of {len(t_dev)}: '
          f'{", ".join(f"{t:.3f}" for t in t_dev)})')
    print(f'kitti_eval from the files: {med_ours:7.3f} s (median of {len(t_ours)}: '
          f'{", ".join(f"{t:.3f}" for t in t_ours)})   {med_ours / med_dev:.2f}x the devkit\'s '
          'time')
    print(f'largest AP difference over the devkit\'s {n} entries: {diff:.1e} '
          '(its stats files print precision with 6 decimals)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=7481)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--repeat', type=int, default=5,
                        help='runs of the fast implementation; the median is reported')
    parser.add_argument('--no-reference', action='store_true',
                        help='time only the fast implementation')
    parser.add_argument('--devkit', metavar='BINARY',
                        help='also time this KITTI object devkit binary on the same labels')
    args = parser.parse_args(argv)
    if args.devkit and not (osp.isfile(args.devkit) and os.access(args.devkit, os.X_OK)):
        raise SystemExit(f'error: --devkit {args.devkit} is not an executable file')
    from crevdet.evaluation.functional import kitti
    from crevdet.evaluation.functional.kitti_reference import (kitti_precision_curve_reference,
                                                               random_kitti_annotations)
    gts, dets = random_kitti_annotations(args.images, args.seed)
    print(f'{args.images} images, {sum(map(len, gts))} ground-truth objects, '
          f'{sum(map(len, dets))} detections', flush=True)
    times = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        fast = kitti.kitti_eval(gts, dets)
        times.append(time.perf_counter() - t0)
    t_fast = statistics.median(times)
    print(f'fast kitti_eval:      {t_fast:7.3f} s (median of {len(times)}: '
          f'{", ".join(f"{t:.3f}" for t in times)})   mAP R40 {fast["mAP_R40"]:.4f}', flush=True)
    if args.devkit:
        compare_with_devkit(args.devkit, gts, dets, args.repeat)
    if args.no_reference:
        return
    # the reference curve does all its own work: the fast path's per-image preparation is not
    # run (and not timed) for it
    t0 = time.perf_counter()
    ref = kitti.kitti_eval(gts, dets, curve=kitti_precision_curve_reference)
    t_ref = time.perf_counter() - t0
    if set(fast) != set(ref):
        raise SystemExit(f'the implementations report different entries: {set(fast) ^ set(ref)}')
    diff = max(abs(fast[k] - ref[k]) for k in ref)
    print(f'reference (devkit transliteration): {t_ref:7.2f} s   mAP R40 {ref["mAP_R40"]:.4f}')
    print(f'speed-up {t_ref / t_fast:.1f}x; largest AP difference over {len(ref)} entries: '
          f'{diff:.2e}')


if __name__ == '__main__':
    main()
