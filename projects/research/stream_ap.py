"""KITTI AP of a detector on long labelled videos: windowed against stateful streaming.

    python projects/research/stream_ap.py CONFIG CKPT [--videos 8] [--frames 40]
        [--seed 1] [--horizons 4 8] [--score-thr 0.0] [--cfg-options k=v ...]

KITTI's object set labels single frames, so it cannot show what carrying the recurrent state
from frame to frame (``VideoPredictorBackbone(streaming='stateful')``) does to AP over a long
stream. This tool draws ``--videos`` drives of the demo's synthetic world
(``crevdet.datasets.synthetic_kitti``, a seed other than the training data's) with a label on
every frame, detects every frame that has a full window, first windowed (exactly what the
detector was trained with; exact streaming gives the same outputs), then stateful (unbounded,
and with each ``--horizons`` bound), and prints the official KITTI AP of each mode over the same
frames, with the model's images/s and the largest difference of its backbone features from the
windowed ones (relative to their mean magnitude). Meant for the demo detectors
(``configs/demo/ssd_demo.py``), whose training data is this world.
"""
import argparse
import json
import os.path as osp
import sys

from crevdet.cli import CfgDictAction


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--videos', type=int, default=8)
    parser.add_argument('--frames', type=int, default=40, help='frames per video')
    parser.add_argument('--seed', type=int, default=1, help='of the videos (training data: 0)')
    parser.add_argument('--horizons', type=int, nargs='*', default=[],
                        help='also run stateful with these stream_horizon bounds')
    parser.add_argument('--score-thr', type=float, default=0.0,
                        help='detections kept for the AP (the AP ranks them by score)')
    parser.add_argument('--json', help='also write the results here (must not exist)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgDictAction)
    args = parser.parse_args(argv)
    if min(args.videos, args.frames) < 1 or any(h < 1 for h in args.horizons):
        raise SystemExit('error: --videos, --frames and --horizons must be >= 1')
    if args.json and osp.exists(args.json):
        raise SystemExit(f'error: {args.json} exists; refusing to overwrite it')
    for f in (args.config, args.checkpoint):
        if not osp.isfile(f):
            raise SystemExit(f'error: {f} does not exist')
    import torch
    from tqdm import tqdm

    from crevdet.apis import VideoDetector
    from crevdet.datasets.synthetic_kitti import synthetic_labelled_videos
    from crevdet.evaluation.functional.kitti import kitti_eval
    from crevdet.evaluation.metrics import kitti_detections
    from crevdet.utils import register_all_modules
    register_all_modules()
    det = VideoDetector(args.config, args.checkpoint, 'cpu', streaming=False,
                        cfg_options=args.cfg_options)
    if args.frames < det.num_frames:
        raise SystemExit(f'error: --frames must be >= the detector\'s window '
                         f'({det.num_frames} frames)')
    videos = synthetic_labelled_videos(args.videos, args.frames, seed=args.seed)
    gts = [labels[i] for _, labels in videos for i in range(det.num_frames - 1, args.frames)]
    modes = [('windowed', False, None), ('stateful', 'stateful', None)] + \
        [(f'stateful, horizon {h}', 'stateful', h) for h in args.horizons]
    results, feats = {}, {}
    # the backbone's outputs per frame: how far stateful features move from the windowed ones
    hook = det.model.backbone.register_forward_hook(
        lambda m, i, out: feats.setdefault(name, []).append(tuple(o.clone() for o in out)))
    for name, mode, horizon in modes:
        det.model.backbone.set_streaming(mode, horizon=horizon)
        det.model_seconds = 0.0
        dets = []
        bar = tqdm(total=len(gts), desc=name, unit='frame', file=sys.stderr)
        for frames, _ in videos:
            for i, window in det.windows(frames):
                inst = det.detect(window, i)
                dets.append(kitti_detections(inst.bboxes, inst.labels, inst.scores,
                                             det.classes, args.score_thr))
                bar.update()
        bar.close()
        ap = kitti_eval(gts, dets, classes=[c for c in det.classes
                                            if c in ('Car', 'Pedestrian', 'Cyclist')])
        # largest |difference| to the windowed features, relative to their mean |value|
        diff = max(float((o - w).abs().max() / w.abs().mean())
                   for out, ref in zip(feats[name], feats['windowed']) for o, w in zip(out, ref))
        if name != 'windowed':
            del feats[name]
        results[name] = dict(ap, images_per_s=len(dets) / det.model_seconds,
                             feature_difference=diff)
        print(f'{name}: mAP R40 {ap["mAP_R40"]:.2f}, R11 {ap["mAP_R11"]:.2f}, '
              f'{results[name]["images_per_s"]:.2f} images/s, largest feature difference '
              f'{diff:.1e} of the mean |feature|', flush=True)
    hook.remove()
    keys = [k for k in results['windowed'] if k.endswith('_moderate_R40')]
    print(f'\n{args.videos} videos x {args.frames} frames (seed {args.seed}), '
          f'{len(gts)} detected frames, torch threads {torch.get_num_threads()}\n')
    cols = ' | '.join(k[:-4].replace('_', ' ') + ' R40' for k in keys)
    print(f'| mode | mAP R40 | mAP R11 | {cols} | images/s | feature diff. |')
    print('|---' * (len(keys) + 5) + '|')
    for name, r in results.items():
        print(f'| {name} | {r["mAP_R40"]:.2f} | {r["mAP_R11"]:.2f} | '
              + ' | '.join(f'{r[k]:.2f}' for k in keys) + f' | {r["images_per_s"]:.2f} | '
              f'{r["feature_difference"]:.1e} |')
    if args.json:
        with open(args.json, 'x') as f:
            json.dump(dict(args=vars(args), results=results), f, indent=1)


if __name__ == '__main__':
    main()
