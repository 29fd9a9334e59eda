"""How black a trained predictor's background is, and how much of its SSIM that costs.

    python tools/analysis_tools/background_level.py CKPT [CKPT ...] [--data smmnist]
        [--data-root ../shared/data/mnist] [--n-past 5] [--n-future 10] [--clips 32]
        [--floor 0.1] [--samples S] [--seed 0]

On digits on a black background, SSIM rewards an exactly black background more than anything
else (a black frame beats copy-last, see ``simple_predictors.py``). For each pretraining
checkpoint (``iter_N.pth`` of ``tools/train.py`` or ``learning_curves.py``; the model is built
from the checkpoint's own config) this predicts the first ``--clips`` test clips of the
learning-curve data (the deterministic prediction: SRVP's means, the VQ-VAE's argmax codes) and
prints: the mean and median predicted value where the ground truth is exactly 0, the mean where
it is a digit (> 0.5: a black frame scores 0 there), the SSIM, and the SSIM after every
predicted value below ``--floor`` is set to 0 (a diagnostic of what the background haze costs,
not a post-processing crevdet applies).

``--samples S`` (stochastic predictors: SRVP, the VQ-VAE) reads the *sampled* futures instead:
S seeded futures per clip and, per clip, the one with the best SSIM averaged over the steps
(the best-of-S protocol of the learning-curve tables), so a best-of-S SSIM can be told apart
from a black frame's (its digit mean).
"""
import argparse
import os.path as osp
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoints', nargs='+')
    parser.add_argument('--data', default='smmnist', help='a learning_curves.py preset')
    parser.add_argument('--data-root', help='as learning_curves.py --data-root')
    parser.add_argument('--n-past', type=int, default=5)
    parser.add_argument('--n-future', type=int, default=10)
    parser.add_argument('--clips', type=int, default=32, help='first N test clips')
    parser.add_argument('--floor', type=float, default=0.1)
    parser.add_argument('--samples', type=int, default=0,
                        help='stochastic predictors: the best of S seeded sampled futures per '
                        'clip (default 0: the deterministic prediction)')
    parser.add_argument('--seed', type=int, default=0, help='generator seed for --samples')
    args = parser.parse_args(argv)
    if min(args.n_past, args.n_future, args.clips) < 1 or args.samples < 0:
        raise SystemExit('error: --n-past, --n-future and --clips must be >= 1, --samples >= 0')
    for path in args.checkpoints:
        if not osp.isfile(path):
            raise SystemExit(f'error: {path} does not exist')
    import torch
    from mmengine.runner.checkpoint import _load_checkpoint
    from tqdm import tqdm

    from crevdet.apis.budget_training import data_args, data_config, first_test_clips
    from crevdet.evaluation.functional.video import ssim
    from crevdet.models.predictors.base_predictor import BaseVideoPredictor
    from crevdet.models.predictors.stochastic_predictor import StochasticVideoPredictor
    from crevdet.models.pretrain_config import model_from_checkpoint
    from crevdet.registry import MODELS, build_crevdet
    from crevdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    _, test, _, _ = data_config(data_args(args.data, args.data_root, args.n_past, args.n_future,
                                          args.clips))
    clips = first_test_clips(test, args.clips)  # (N, T, C, H, W)
    n = len(clips)
    future = clips[:, args.n_past:args.n_past + args.n_future]
    print(f'{n} test clips of {args.data}, {args.n_past} -> {args.n_future}; background: the '
          'pixels where the ground truth is exactly 0\n')
    print('| checkpoint | background mean | background median | digit mean | SSIM | SSIM with '
          f'values < {args.floor} set to 0 |\n|---|---:|---:|---:|---:|---:|')
    for path in tqdm(args.checkpoints, desc='predicting', unit='checkpoint', file=sys.stderr):
        ckpt = _load_checkpoint(path, map_location='cpu')
        try:
            model_cfg = model_from_checkpoint(path, ckpt)
        except ValueError:
            raise SystemExit(f'error: {path} stores no readable model config; give an iter_N.pth '
                             'of tools/train.py or learning_curves.py (mmengine writes the run\'s '
                             'config into it)')
        model = build_crevdet(MODELS, model_cfg)
        if not isinstance(model, BaseVideoPredictor):
            raise SystemExit(f'error: {path} holds a {type(model).__name__}, not a video '
                             'predictor: give a pretraining checkpoint')
        if args.samples and not isinstance(model, StochasticVideoPredictor):
            raise SystemExit(f'error: --samples: {path} holds a {type(model).__name__}, which '
                             'is deterministic (give a SRVP or VQ-VAE checkpoint)')
        model.load_state_dict(ckpt.get('state_dict', ckpt))
        model.eval()
        with torch.no_grad():
            if args.samples:
                gen = torch.Generator().manual_seed(args.seed)
                draws = model.sample(clips, args.n_past, args.n_future, args.samples,
                                     generator=gen).clamp(0, 1)  # (N, S, F, C, H, W)
                score = torch.stack([ssim(draws[:, k], future).mean(1)
                                     for k in range(draws.shape[1])], 1)  # (N, S)
                pred = draws[torch.arange(n), score.argmax(1)]
            else:
                pred, _ = model.rollout(clips, args.n_past, args.n_future)
        if pred.dim() == 6:  # CrevNet 3D: (B, S, k, C, H, W) clips; the newest frame
            pred = pred[:, :, -1]
        pred = pred.clamp(0, 1)
        floored = torch.where(pred < args.floor, torch.zeros_like(pred), pred)
        flat = lambda v: v.reshape(-1, *v.shape[2:])  # noqa: E731
        bg = pred[future == 0]
        digit = pred[future > 0.5]
        print(f'| {path} | {float(bg.mean()):.4f} | {float(bg.median()):.4f} | '
              f'{float(digit.mean()):.4f} | '
              f'{float(ssim(flat(pred), flat(future)).mean()):.4f} | '
              f'{float(ssim(flat(floored), flat(future)).mean()):.4f} |')


if __name__ == '__main__':
    main()
