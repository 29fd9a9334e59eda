"""Hand-made next-frame predictors on a data config's train and test clips: what a learned model
must beat, and what a simple rule already wins over copy-last.

    python projects/research/simple_predictors.py configs/_base_/datasets/kitti_raw_sample.py \
        [--gains 0.3 0.5] [--blur 9] [--horizon 1] [--max-clips N]

Rows: copy-last (``x_t``), a black frame (on digits on black, SSIM rewards an exactly black
background more than anything else a blurry model can do) and, per gain ``a``, the blurred
extrapolation
``x_t + a * GaussianBlur_k(x_t - x_{t-1})`` (clipped to [0, 1]); for every clip of the config's
``train_dataloader`` / ``test_dataloader`` datasets (raw clips: no flips), the frame after the
``n_past`` observed ones (``protocol.n_past``). MSE per frame (summed over pixels and channels),
PSNR and SSIM as ``VideoPredictionMetric`` computes them.
"""
import argparse
import sys
from typing import Optional

import cv2
import numpy as np
import torch
from tqdm import tqdm

from crevdet.apis.budget_training import BudgetError, data_args, data_config, protocol
from crevdet.evaluation.functional.video import mse, psnr, ssim
from crevdet.registry import DATASETS, build_crevdet
from crevdet.cli import exit_on
from crevdet.utils import register_all_modules


def blurred_extrapolation(last: np.ndarray, prev: np.ndarray, gain: float, k: int) -> np.ndarray:
    """``(H, W, C)`` frames in [0, 1] -> the prediction ``last + gain * blur(last - prev)``."""
    diff = cv2.GaussianBlur((last - prev).astype(np.float32), (k, k), 0)
    if diff.ndim == 2:
        diff = diff[..., None]
    return np.clip(last + gain * diff, 0, 1)


def evaluate(dataset, n_past: int, gains, k: int, desc: str = 'clips', horizon: int = 1,
             max_clips: Optional[int] = None) -> dict:
    """Mean (MSE, PSNR, SSIM) per predictor over the ``horizon`` frames after the ``n_past``
    observed ones of every clip (the first ``max_clips``); the extrapolation's ``j``-th future
    frame (from 1) is ``x_t + j * a * blur(x_t - x_t-1)``."""
    rows = {name: [] for name in ['copy last frame', 'black frame (all zeros)']
            + [f'x_t + {g} blur{k}(x_t - x_t-1)' for g in gains]}
    n = len(dataset) if max_clips is None else min(max_clips, len(dataset))
    for i in tqdm(range(n), desc=desc, unit='clip', file=sys.stderr):
        # (T, H, W, C); Moving MNIST datasets give (T, H, W) sequences
        clip = dataset.get_clip(i) if hasattr(dataset, 'get_clip') else \
            dataset.sequence(i)[..., None]
        clip = clip.astype(np.float32) / 255
        last, prev = clip[n_past - 1], clip[n_past - 2]
        if len(clip) < n_past + horizon:
            raise SystemExit(f'error: clip {i} has {len(clip)} frames; --horizon {horizon} '
                             f'needs {n_past + horizon}')
        for j in range(1, horizon + 1):
            preds = [last, np.zeros_like(last)] + [blurred_extrapolation(last, prev, j * g, k)
                                                   for g in gains]
            gt = torch.from_numpy(clip[n_past + j - 1].transpose(2, 0, 1))
            for name, p in zip(rows, preds):
                p = torch.from_numpy(np.ascontiguousarray(p.transpose(2, 0, 1)))
                rows[name].append([float(f(p, gt)) for f in (mse, psnr, ssim)])
    return {name: np.mean(v, axis=0) for name, v in rows.items()}


@exit_on(BudgetError)  # a bad --data / --data-root: error: <why>
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data', help='a data config with train/test_dataloader and protocol, '
                        'or a preset of learning_curves.py (mmnist, smmnist, kitti)')
    parser.add_argument('--data-root', help='as learning_curves.py --data-root')
    parser.add_argument('--n-past', type=int, help='observed frames (default: the protocol\'s)')
    parser.add_argument('--horizon', type=int, default=1,
                        help='future frames scored per clip (10 for stochastic Moving MNIST '
                        '5 -> 10)')
    parser.add_argument('--max-clips', type=int, help='first N clips of each split only')
    parser.add_argument('--gains', type=float, nargs='+', default=[0.3, 0.5])
    parser.add_argument('--blur', type=int, default=9, help='Gaussian kernel size (odd)')
    args = parser.parse_args(argv)
    if args.horizon < 1 or (args.max_clips is not None and args.max_clips < 1):
        raise SystemExit('error: --horizon and --max-clips must be >= 1')
    if args.blur < 1 or args.blur % 2 == 0:
        raise SystemExit(f'error: --blur must be an odd size >= 1, got {args.blur}')
    register_all_modules(init_default_scope=False)
    # the learning-curve tools' data: a preset or a .py file with a full protocol, whose
    # clips (n_past + horizon frames; Moving MNIST test clips: the first --max-clips) are the
    # ones learning_curves.py scores
    ns = data_args(args.data, args.data_root, args.n_past, args.horizon, args.max_clips or 64)
    n_past = protocol(ns)[0]
    if n_past < 2:
        raise SystemExit('error: the extrapolation needs n_past >= 2')
    train, test, _, note = data_config(ns)
    if note:
        print(note)
    print('| split | predictor | MSE / frame | PSNR | SSIM |\n|---|---|---:|---:|---:|')
    for split, loader in (('train', train), ('test', test)):
        dataset = build_crevdet(DATASETS, loader.dataset)
        rows = evaluate(dataset, n_past, args.gains, args.blur, split, args.horizon,
                        args.max_clips)
        n = len(dataset) if args.max_clips is None else min(args.max_clips, len(dataset))
        for name, (m, p, s) in rows.items():
            print(f'| {split} ({n} clips) | {name} | {m:.3f} | {p:.3f} | {s:.5f} |')


if __name__ == '__main__':
    main()
