"""How black a trained predictor's background is, and how much of its SSIM that costs.

    python projects/research/background_level.py CKPT [CKPT ...] [--data smmnist]
        [--data-root ../shared/data/mnist] [--n-past 5] [--n-future 10] [--clips 32]
        [--floor 0.1] [--samples S] [--seed 0] [--batch 16]

On digits on a black background, SSIM rewards an exactly black background more than anything
else (a black frame beats copy-last, see ``simple_predictors.py``). For each pretraining
checkpoint (``iter_N.pth`` of ``tools/train.py`` or ``learning_curves.py``; the model is built
from the checkpoint's own config) this predicts the first ``--clips`` test clips of the
learning-curve data (the deterministic prediction: SRVP's means, the VQ-VAE's argmax codes) and
prints: the mean and median predicted value where the ground truth is exactly 0, the mean where
it is a digit (> 0.5: a black frame scores 0 there), the SSIM, and the SSIM after every
predicted value below ``--floor`` is set to 0 (a diagnostic of what the background haze costs,
not a post-processing crevdet applies), and the PSNR.

``--samples S`` (stochastic predictors: SRVP, the VQ-VAE) reads the *sampled* futures instead:
S seeded futures per clip and, per clip, the one with the best SSIM averaged over the steps
(the best-of-S protocol of the learning-curve tables), so a best-of-S SSIM can be told apart
from a black frame's (its digit mean). The clips are predicted ``--batch`` at a time with one
generator seeded once, as the learning-curve hook does with its ``--test-batch`` (both default
to 16): at the same seed, batch and clips the best-of-S SSIM is the learning-curve table's to
the last digit, and memory grows with ``--batch`` times S, not with all the clips times S
(S = 100 on 64 clips: 8.2 GB peak at the default batch). Its PSNR column is then the best-of-S
PSNR as the learning-curve tables count it (per clip, the sample with the best PSNR averaged over
the steps, which need not be the SSIM's sample), so one run gives both figures of a best-of-S row.
"""
import argparse
import os.path as osp
import sys

from crevdet.apis.budget_training import BudgetError
from crevdet.cli import exit_on


def predict(model, clips, future, args, gen):
    """The deterministic prediction of ``clips`` (B, T, C, H, W) and its PSNR averaged over the
    steps (B,); or with ``args.samples`` the sampled future with the best SSIM averaged over the
    steps, per clip, drawn from ``gen``, and the best such PSNR of the samples (B,)."""
    import torch

    from crevdet.evaluation.functional.video import psnr, ssim
    if not args.samples:
        pred = model.rollout(clips, args.n_past, args.n_future)[0]
        if pred.dim() == 6:  # CrevNet 3D: (B, F, k, C, H, W) clips; the newest frame
            pred = pred[:, :, -1]
        return pred, psnr(pred.clamp(0, 1), future).mean(1)
    draws = model.sample(clips, args.n_past, args.n_future, args.samples,
                         generator=gen).clamp(0, 1)  # (B, S, F, C, H, W)
    per_sample = lambda f: torch.stack([f(draws[:, k], future).mean(1)  # noqa: E731
                                        for k in range(draws.shape[1])], 1)  # (B, S)
    best = per_sample(ssim).argmax(1)
    return draws[torch.arange(len(clips)), best], per_sample(psnr).max(1).values


def predict_all(model, clips, future, args):
    """``predict`` over ``clips`` (N, T, C, H, W), ``args.batch`` clips at a time, with one
    generator seeded once (``args.seed``) that runs on across the batches, as the learning-curve
    hook draws its samples."""
    import torch
    from tqdm import tqdm
    gen = torch.Generator().manual_seed(args.seed)
    starts = tqdm(range(0, len(clips), args.batch), desc='clip batches', unit='batch',
                  file=sys.stderr, leave=False)  # S = 100: minutes per checkpoint
    preds, psnrs = zip(*[predict(model, clips[i:i + args.batch], future[i:i + args.batch], args,
                                 gen) for i in starts])
    return torch.cat(preds), torch.cat(psnrs)


@exit_on(BudgetError)  # a bad --data / --data-root: error: <why>
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
    parser.add_argument('--batch', type=int, default=16,
                        help='clips predicted at a time (default 16, learning_curves.py\'s '
                        '--test-batch: the same draws as its tables)')
    args = parser.parse_args(argv)
    if min(args.n_past, args.n_future, args.clips, args.batch) < 1 or args.samples < 0:
        raise SystemExit('error: --n-past, --n-future, --clips and --batch must be >= 1, '
                         '--samples >= 0')
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
    from crevdet.checkpoint.stored_config import model_from_checkpoint
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
          f'values < {args.floor} set to 0 | PSNR |\n|---|---:|---:|---:|---:|---:|---:|')
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
            pred, clip_psnr = predict_all(model, clips, future, args)
        pred = pred.clamp(0, 1)
        floored = torch.where(pred < args.floor, torch.zeros_like(pred), pred)
        flat = lambda v: v.reshape(-1, *v.shape[2:])  # noqa: E731
        bg = pred[future == 0]
        digit = pred[future > 0.5]
        print(f'| {path} | {float(bg.mean()):.4f} | {float(bg.median()):.4f} | '
              f'{float(digit.mean()):.4f} | '
              f'{float(ssim(flat(pred), flat(future)).mean()):.4f} | '
              f'{float(ssim(flat(floored), flat(future)).mean()):.4f} | '
              f'{float(clip_psnr.mean()):.2f} |')


if __name__ == '__main__':
    main()
