"""One-off research script (docs/benchmarks/real_video.md, "A clean split"): evaluate the
checkpoints chosen on the CHOOSE split (KITTI raw frames 60-77) on the REPORT split, the tails of
the two shared highway clips that no training run and no choice looked at, beside copy-last and
the hand-made extrapolator (its gain chosen on the choose split). Reads
work_dirs/issue31/real_video/chosen.json and the learning-curve runs named there.

    python tools/research/real_video_report.py
"""
import glob, json, sys
import numpy as np, torch
from mmengine.config import Config
from crevdet.utils import register_all_modules
from crevdet.registry import MODELS, DATASETS, build_crevdet
from crevdet.evaluation.functional.video import mse, psnr, ssim
import importlib.util
spec = importlib.util.spec_from_file_location('sp', 'tools/research/simple_predictors.py'); sp = importlib.util.module_from_spec(spec); spec.loader.exec_module(sp)
register_all_modules()
torch.set_num_threads(1)
ch = json.load(open('work_dirs/issue31/real_video/chosen.json'))
models = {}
for name, cfgp, ck in [('predict', 'configs/ablations/crevnet_predict_small.py', sorted(glob.glob('work_dirs/issue31/real_video/predict50/*/predict/iter_50.pth'))),
                       ('detect', 'configs/demo/pretrain_demo.py', sorted(glob.glob('work_dirs/issue31/real_video/choose/*/detect/iter_300.pth')))]:
    if not ck:
        print('missing', name); continue
    cfg = Config.fromfile(cfgp).model
    cfg.update(n_past=4, n_future=1)
    net = build_crevdet(MODELS, cfg).eval()
    sd = torch.load(ck[-1], map_location='cpu', weights_only=True)['state_dict']
    net.load_state_dict(sd)
    models[name] = (net, ck[-1])
vids = '../shared/data/driving_video/'
g = float(ch['gain'])
for clipname, rng in (('highway_clip.mp4', (14, 38)), ('solidWhiteRight.mp4', (121, 221))):
    ds = build_crevdet(DATASETS, dict(type='VideoFolderDataset', data_root=vids + clipname, clip_len=5,
                                      frame_size=(128, 160), frame_step=2, clip_stride=1, frame_range=rng))
    rows = {k: [] for k in ['copy last frame', f'x_t + {g} blur9(x_t - x_t-1)'] + list(models)}
    for i in range(len(ds)):
        clip = ds.get_clip(i).astype(np.float32) / 255  # (T, H, W, C)
        gt = torch.from_numpy(clip[4].transpose(2, 0, 1))
        t = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))
        preds = {'copy last frame': t(clip[3]), f'x_t + {g} blur9(x_t - x_t-1)': t(sp.blurred_extrapolation(clip[3], clip[2], g, 9))}
        frames = torch.from_numpy(clip.transpose(0, 3, 1, 2))[None]
        with torch.no_grad():
            for name, (net, _) in models.items():
                preds[name] = net.rollout(frames, 4, 1)[0][0, 0].clamp(0, 1)
        for k, p in preds.items():
            rows[k].append([float(f(p, gt)) for f in (mse, psnr, ssim)])
    print(f'\n{clipname} frames {rng[0]}-{rng[1]-1}, every 2nd, {len(ds)} clips')
    print('| predictor | MSE / frame | PSNR | SSIM |\n|---|---:|---:|---:|')
    for k, v in rows.items():
        m, p, s = np.mean(v, 0)
        print(f'| {k} | {m:.3f} | {p:.3f} | {s:.5f} |')
print({k: v[1] for k, v in models.items()})
