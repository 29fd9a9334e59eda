"""One-off research script (docs/benchmarks/real_video.md, "A clean split"): evaluate the
checkpoints chosen on the CHOOSE split (KITTI raw frames 60-77) on the REPORT split, the tails of
the two shared highway clips that no training run and no choice looked at, beside copy-last and
the hand-made extrapolator (its gain chosen on the choose split). Reads
work_dirs/issue31/real_video/chosen.json and the learning-curve runs named there.

    python projects/research/real_video_report.py
"""
import glob
import importlib.util
import json

import numpy as np
import torch
from mmengine.config import Config

from crevdet.evaluation.functional.video import mse, psnr, ssim
from crevdet.registry import DATASETS, MODELS, build_crevdet
from crevdet.utils import register_all_modules

RUNS = 'work_dirs/issue31/real_video'  # the learning-curve runs of that study (not shipped)
CHECKPOINTS = [
    ('predict', 'configs/ablations/crevnet_predict_small.py',
     f'{RUNS}/predict50/*/predict/iter_50.pth'),
    ('detect', 'configs/demo/pretrain_demo.py', f'{RUNS}/choose/*/detect/iter_300.pth'),
]
CLIPS = (('highway_clip.mp4', (14, 38)), ('solidWhiteRight.mp4', (121, 221)))


def load_simple_predictors():
    spec = importlib.util.spec_from_file_location('sp', 'projects/research/simple_predictors.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chw(a: np.ndarray) -> torch.Tensor:
    """(H, W, C) array -> (C, H, W) tensor."""
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))


def main():
    sp = load_simple_predictors()
    register_all_modules()
    torch.set_num_threads(1)
    chosen = json.load(open(f'{RUNS}/chosen.json'))
    models = {}
    for name, cfg_path, pattern in CHECKPOINTS:
        found = sorted(glob.glob(pattern))
        if not found:
            print('missing', name)
            continue
        cfg = Config.fromfile(cfg_path).model
        cfg.update(n_past=4, n_future=1)
        net = build_crevdet(MODELS, cfg).eval()
        net.load_state_dict(torch.load(found[-1], map_location='cpu',
                                       weights_only=True)['state_dict'])
        models[name] = (net, found[-1])
    videos = '../shared/data/driving_video/'
    g = float(chosen['gain'])
    extrapolated = f'x_t + {g} blur9(x_t - x_t-1)'
    for clip_name, frame_range in CLIPS:
        ds = build_crevdet(DATASETS, dict(
            type='VideoFolderDataset', data_root=videos + clip_name, clip_len=5,
            frame_size=(128, 160), frame_step=2, clip_stride=1, frame_range=frame_range))
        rows = {k: [] for k in ['copy last frame', extrapolated] + list(models)}
        for i in range(len(ds)):
            clip = ds.get_clip(i).astype(np.float32) / 255  # (T, H, W, C)
            gt = chw(clip[4])
            preds = {'copy last frame': chw(clip[3]),
                     extrapolated: chw(sp.blurred_extrapolation(clip[3], clip[2], g, 9))}
            frames = torch.from_numpy(clip.transpose(0, 3, 1, 2))[None]
            with torch.no_grad():
                for name, (net, _) in models.items():
                    preds[name] = net.rollout(frames, 4, 1)[0][0, 0].clamp(0, 1)
            for k, p in preds.items():
                rows[k].append([float(f(p, gt)) for f in (mse, psnr, ssim)])
        print(f'\n{clip_name} frames {frame_range[0]}-{frame_range[1] - 1}, every 2nd, '
              f'{len(ds)} clips')
        print('| predictor | MSE / frame | PSNR | SSIM |\n|---|---:|---:|---:|')
        for k, v in rows.items():
            m, p, s = np.mean(v, 0)
            print(f'| {k} | {m:.3f} | {p:.3f} | {s:.5f} |')
    print({k: v[1] for k, v in models.items()})


if __name__ == '__main__':
    main()
