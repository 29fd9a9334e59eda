"""Time the KITTI 2D evaluation on a KITTI-sized label set, fast implementation against the line-by-
line devkit transliteration (the reference), and check that they agree.

    python tools/analysis_tools/kitti_eval_speed.py [--images 7481] [--seed 0] [--repeat 5]
                                                    [--no-reference]

The labels are random with KITTI's per-image object counts (``random_kitti_annotations``: every
type, DontCare, neighbours, tiny boxes, tied scores) and detections of a plausible detector.
Prints the seconds of each implementation (the fast one: median of ``--repeat`` runs, as the
machine may be shared), the ratio, and the largest AP difference over the 18
Car/Pedestrian/Cyclist x Easy/Moderate/Hard x R40/R11 entries. The official C++ devkit (built
with -O3) takes 0.5 s on the 7,481 KITTI training labels on the machine where the old Python
path took 2.5 s (issue 34); run both here for a local comparison.
"""
import argparse
import statistics
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=7481)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--repeat', type=int, default=5,
                        help='runs of the fast implementation; the median is reported')
    parser.add_argument('--no-reference', action='store_true',
                        help='time only the fast implementation')
    args = parser.parse_args(argv)
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
