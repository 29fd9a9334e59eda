"""Inference speed of a detector (images/s), data loading excluded.

    python tools/analysis_tools/det_fps.py CONFIG [CKPT] [--num-images 50] [--warmup 5]
        [--batch 1] [--video VIDEO [--frame-step N] [--stateful]] [--cfg-options k=v ...]

Runs ``model.test_step`` on the first images of the test set, ``--batch`` at a time (default 1,
as the paper's 6.8 FPS on a V100), after ``--warmup`` untimed batches. With ``--video`` it times
the consecutive frames of a video instead, windowed (every window encoded in full) and streaming
(each frame encoded once, ``VideoPredictorBackbone(streaming=True)``) side by side, and checks
that both give the same detections (``--stateful`` adds the stateful streaming rate); ``--batch
B`` there cuts the video into ``B`` consecutive parts detected as ``B`` parallel streams (``B``
cameras). Runs on CUDA when torch sees a GPU;
``--cfg-options model.backbone.inference_autocast=fp16`` times mixed precision.
"""
import argparse
import time

from crevdet.cli import CfgDictAction
from crevdet.cli.common import check_checkpoint_arg, dataset_errors, read_config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', help='weights (default: the config\'s init)')
    parser.add_argument('--num-images', type=int, default=50, help='images (frames) timed')
    parser.add_argument('--warmup', type=int, default=5,
                        help='untimed batches (windows) before the timing')
    parser.add_argument('--batch', type=int, default=1,
                        help='images per forward pass (with --video: parallel streams)')
    parser.add_argument('--video', help='time windowed vs streaming on this video\'s frames')
    parser.add_argument('--frame-step', type=int, default=1,
                        help='with --video: use every N-th frame')
    parser.add_argument('--stateful', action='store_true',
                        help="with --video: also time streaming='stateful' (recurrent state "
                        'carried from frame to frame)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgDictAction)
    args = parser.parse_args(argv)
    if min(args.frame_step, args.num_images, args.batch) < 1 or args.warmup < 0:
        raise SystemExit('error: --frame-step, --num-images and --batch must be >= 1, '
                         '--warmup >= 0')
    if args.checkpoint:  # missing, truncated or code-carrying: one line, before any model
        check_checkpoint_arg(args.checkpoint, 'CKPT')
    if args.video:
        return video_fps(args)
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.runner import load_checkpoint

    from crevdet.checkpoint import expand_pretrain_configs, install_checkpoint_loader
    from crevdet.registry import DATASETS, MODELS
    from crevdet.utils import register_all_modules
    register_all_modules()
    install_checkpoint_loader()
    cfg = read_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(expand_pretrain_configs(cfg).model)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model.to(device).eval()
    with dataset_errors():  # e.g. a split file naming a missing image: one line naming it
        ds = DATASETS.build(cfg.test_dataloader.dataset)
    b = args.batch
    steps = args.warmup + -(-args.num_images // b)  # batches: warm-up + enough for num_images
    if len(ds) < (args.warmup + 1) * b:
        raise SystemExit(f'the test set has {len(ds)} images; need more than --warmup '
                         f'batches of {b}')
    steps = min(steps, len(ds) // b)
    timed = 0.0
    with dataset_errors(), torch.no_grad():
        for i in range(steps):
            batch = pseudo_collate([ds[j] for j in range(i * b, (i + 1) * b)])
            if device == 'cuda':
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            model.test_step(batch)
            if device == 'cuda':
                torch.cuda.synchronize()
            if i >= args.warmup:
                timed += time.perf_counter() - t0
    n = (steps - args.warmup) * b
    fps = n / timed
    shape = tuple(ds[0]['inputs'].shape)
    print(f'{fps:.2f} images/s ({1000 / fps:.1f} ms/image) on {device}, input {shape}, '
          f'{n} images, batch {b}, torch threads {torch.get_num_threads()}')


def video_fps(args) -> None:
    import torch

    from crevdet.apis import VideoDetector
    from crevdet.cli import read_input_frames
    from crevdet.utils import register_all_modules
    register_all_modules()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    results = {}
    # one detector (same weights, random ones too), streaming switched on for the second pass
    det = VideoDetector(args.config, args.checkpoint, device, streaming=False,
                        cfg_options=args.cfg_options)
    b, t = args.batch, det.num_frames
    n_steps = args.warmup + -(-args.num_images // b)  # batched windows per stream
    want = b * (n_steps + t - 1)
    # BGR, as the detector's pipeline expects
    frames, _ = read_input_frames(args.video, args.frame_step, want,
                                  transform=lambda f: f[:, :, ::-1], what='timing')
    if len(frames) < b * (args.warmup + t):
        raise SystemExit(f'error: {args.video} gives {len(frames)} frames (frame step '
                         f'{args.frame_step}): not enough for {b} stream(s) of {args.warmup} '
                         f'warm-up windows of {t} frames plus one timed one')
    per_stream = len(frames) // b
    # stream s: frames [s * per_stream, (s + 1) * per_stream); step k: every stream's k-th window
    streams = [list(det.windows(frames[s * per_stream:(s + 1) * per_stream])) for s in range(b)]
    steps = [[streams[s][k] for s in range(b)] for k in range(len(streams[0]))]

    def detect(steps):  # each step: every stream's window of that step in one batch
        return [o for step in steps
                for o in det.detect_batch([w for _, w in step], [i for i, _ in step])]
    modes = {'windowed': False, 'streaming': 'exact'}
    if args.stateful:
        modes['stateful'] = 'stateful'
    for mode, streaming in modes.items():
        det.model.backbone.set_streaming(streaming, streams=b)
        detect(steps[:args.warmup])
        det.model_seconds = 0.0
        outs = detect(steps[args.warmup:])
        results[mode] = (len(outs) / det.model_seconds, outs)
        print(f'{mode:9s}: {results[mode][0]:.2f} images/s ({1000 / results[mode][0]:.1f} '
              f'ms/image) on {device}, {len(outs)} consecutive frames of {args.video} as {b} '
              f'stream(s), batch {b}, torch threads {torch.get_num_threads()}', flush=True)
    pairs = list(zip(results['windowed'][1], results['streaming'][1]))
    if any(len(w.scores) != len(s.scores) for w, s in pairs):
        raise SystemExit('streaming and windowed detections differ in number')
    diff = max((float((w.scores - s.scores).abs().max()) if len(w.scores) else 0.0)
               for w, s in pairs)
    print(f'streaming / windowed: {results["streaming"][0] / results["windowed"][0]:.2f}x; '
          f'largest score difference {diff:.1e}')
    if args.stateful:
        print(f'stateful / windowed: {results["stateful"][0] / results["windowed"][0]:.2f}x '
              '(not the windowed outputs: its AP is measured by stream_ap.py)')


if __name__ == '__main__':
    main()
