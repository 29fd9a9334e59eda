"""Hand-made next-frame predictors on a data config's train and test clips: what a learned model
must beat, and what a simple rule already wins over copy-last.

    python tools/analysis_tools/simple_predictors.py configs/_base_/datasets/kitti_raw_sample.py \
        [--gains 0.3 0.5] [--blur 9]

Rows: copy-last (``x_t``) and, per gain ``a``, the blurred extrapolation
``x_t + a * GaussianBlur_k(x_t - x_{t-1})`` (clipped to [0, 1]); for every clip of the config's
``train_dataloader`` / ``test_dataloader`` datasets (raw clips: no flips), the frame after the
``n_past`` observed ones (``protocol.n_past``). MSE per frame (summed over pixels and channels),
PSNR and SSIM as ``VideoPredictionMetric`` computes them.
"""
import argparse
import sys

import cv2
import numpy as np
import torch
from mmengine.config import Config
from tqdm import tqdm

from crevdet.apis.budget_training import data_spec
from crevdet.evaluation.functional.video import mse, psnr, ssim
from crevdet.registry import DATASETS, build_crevdet
from crevdet.utils import register_all_modules


def blurred_extrapolation(last: np.ndarray, prev: np.ndarray, gain: float, k: int) -> np.ndarray:
    """``(H, W, C)`` frames in [0, 1] -> the prediction ``last + gain * blur(last - prev)``."""
    diff = cv2.GaussianBlur((last - prev).astype(np.float32), (k, k), 0)
    if diff.ndim == 2:
        diff = diff[..., None]
    return np.clip(last + gain * diff, 0, 1)


def evaluate(dataset, n_past: int, gains, k: int, desc: str = 'clips') -> dict:
    rows = {name: [] for name in ['copy last frame'] + [f'x_t + {g} blur{k}(x_t - x_t-1)'
                                                         for g in gains]}
    for i in tqdm(range(len(dataset)), desc=desc, unit='clip', file=sys.stderr):
        clip = dataset.get_clip(i).astype(np.float32) / 255  # (T, H, W, C)
        last, prev, target = clip[n_past - 1], clip[n_past - 2], clip[n_past]
        preds = [last] + [blurred_extrapolation(last, prev, g, k) for g in gains]
        gt = torch.from_numpy(target.transpose(2, 0, 1))
        for name, p in zip(rows, preds):
            p = torch.from_numpy(np.ascontiguousarray(p.transpose(2, 0, 1)))
            rows[name].append([float(f(p, gt)) for f in (mse, psnr, ssim)])
    return {name: np.mean(v, axis=0) for name, v in rows.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data', help='data config with train/test_dataloader and protocol')
    parser.add_argument('--gains', type=float, nargs='+', default=[0.3, 0.5])
    parser.add_argument('--blur', type=int, default=9, help='Gaussian kernel size (odd)')
    args = parser.parse_args(argv)
    if args.blur < 1 or args.blur % 2 == 0:
        raise SystemExit(f'error: --blur must be an odd size >= 1, got {args.blur}')
    register_all_modules(init_default_scope=False)
    # the learning-curve tools' check: a .py file with train/test_dataloader and a full protocol
    n_past = data_spec(argparse.Namespace(data=args.data))['n_past']
    cfg = Config.fromfile(args.data)
    if n_past < 2:
        raise SystemExit('error: the extrapolation needs n_past >= 2')
    print('| split | predictor | MSE / frame | PSNR | SSIM |\n|---|---|---:|---:|---:|')
    for split in ('train', 'test'):
        dataset = build_crevdet(DATASETS, cfg[f'{split}_dataloader'].dataset)
        for name, (m, p, s) in evaluate(dataset, n_past, args.gains, args.blur, split).items():
            print(f'| {split} ({len(dataset)} clips) | {name} | {m:.3f} | {p:.3f} | {s:.5f} |')


if __name__ == '__main__':
    main()
