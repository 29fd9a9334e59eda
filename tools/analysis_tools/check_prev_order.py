"""Check which KITTI ``prev_2`` frame is closest in time to its target image.

    python tools/analysis_tools/check_prev_order.py data/kitti/object/training [--num 200]

For each id with ``prev_2/<id>_0{1,2,3}.png`` it measures the mean absolute difference to
``image_2/<id>.png``; the temporally closest frame differs least (the scene moved least). Prints how
often each suffix is the closest and the matching ``KittiDetDataset(prev_order=...)``.
"""
import argparse
import glob
import os.path as osp
from collections import Counter

import cv2
import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('training_dir', help='folder holding image_2/ and prev_2/')
    parser.add_argument('--num', type=int, default=200, help='ids to inspect')
    args = parser.parse_args(argv)
    if not osp.isdir(args.training_dir):  # a file would only find no frames: say what it is
        raise SystemExit(f'error: {args.training_dir} is not a folder; expected the KITTI '
                         'object training folder holding image_2/ and prev_2/')
    prev = sorted(glob.glob(osp.join(args.training_dir, 'prev_2', '*_03.png')))[:args.num]
    if not prev:
        raise SystemExit(f'no prev_2/<id>_03.png under {args.training_dir}')
    closest, diffs = Counter(), {s: [] for s in ('01', '02', '03')}
    for p in prev:
        img_id = osp.basename(p)[:-7]
        target = cv2.imread(osp.join(args.training_dir, 'image_2', f'{img_id}.png'))
        if target is None:
            continue
        d = {}
        for s in diffs:
            f = cv2.imread(osp.join(args.training_dir, 'prev_2', f'{img_id}_{s}.png'))
            if f is None or f.shape != target.shape:
                break
            d[s] = float(np.abs(f.astype(np.int16) - target).mean())
        if len(d) == 3:
            closest[min(d, key=d.get)] += 1
            for s, v in d.items():
                diffs[s].append(v)
    n = sum(closest.values())
    if not n:
        raise SystemExit('no complete (image_2, prev_2 x3) triple could be read')
    for s in ('01', '02', '03'):
        print(f'_{s}: closest in {closest[s]}/{n} ids, mean |diff| to target '
              f'{np.mean(diffs[s]):.2f}')
    order = '01_oldest' if closest['03'] >= closest['01'] else '01_closest'
    print(f"-> KittiDetDataset(prev_order='{order}')")


if __name__ == '__main__':
    main()
