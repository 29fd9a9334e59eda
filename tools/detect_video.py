"""Run a trained detector over a video (or a folder of frames) and look at the result.

    python tools/detect_video.py CONFIG CKPT INPUT [--out-dir DIR] [--score-thr 0.3]
        [--frame-step N] [--max-frames N] [--windowed | --stateful] [--device cpu|cuda]
        [--cfg-options ...]

Every frame with ``num_frames - 1`` frames before it is detected (streaming: each frame is
encoded once; ``--windowed`` re-encodes every window, for comparison; ``--stateful`` also carries
the recurrent state from frame to frame, faster but not the trained computation; its AP:
docs/benchmarks/detection_speed.md). Frames are read one at a time and only the current window is
kept, so a long video needs no more memory than a short one. Outputs under ``--out-dir``
(default
``work_dirs/detect_video/<input name>_<time>/``, never an existing one):
  * ``detections.mp4`` / ``detections.gif``  frames with boxes, class names and scores (the GIF:
                                             the first 300 detected frames, 480 pixels wide)
  * ``labels/<frame>.txt``                   detections in KITTI result format (label_2 + score)
  * ``summary.json``                         frames, detections, FPS of the model and overall
"""
import argparse
import json
import os
import os.path as osp
import time


from crevdet.cli import CfgDictAction

# detected frames whose thumbnails go into detections.gif (the MP4 has every frame)
GIF_FRAMES = 300


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('input', help='video file or folder of frames')
    parser.add_argument('--out-dir', help='output folder (must not exist)')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='draw and write detections at or above this score')
    parser.add_argument('--frame-step', type=int, default=1,
                        help='use every n-th frame (e.g. 3 for 30 fps video at KITTI\'s 10 Hz)')
    parser.add_argument('--max-frames', type=int, default=10 ** 9)
    how = parser.add_mutually_exclusive_group()
    how.add_argument('--windowed', action='store_true',
                     help='encode every window in full instead of streaming')
    how.add_argument('--stateful', action='store_true',
                     help='carry the recurrent state from frame to frame (one predictor step '
                     'per frame)')
    parser.add_argument('--device', help='cuda or cpu (default: cuda when available)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgDictAction)
    args = parser.parse_args(argv)
    if args.frame_step < 1:
        raise SystemExit(f'error: --frame-step must be >= 1, got {args.frame_step}')
    if args.max_frames < 1:
        raise SystemExit(f'error: --max-frames must be >= 1, got {args.max_frames}')
    import torch
    from tqdm import tqdm

    from crevdet.apis import VideoDetector
    from crevdet.datasets.kitti_labels import format_kitti_line
    from crevdet.cli import check_truncated, new_output_dir, open_input_frames
    from crevdet.utils import register_all_modules
    from crevdet.visualization import draw_boxes
    register_all_modules()
    from crevdet.cli.common import check_checkpoint_arg, read_config
    cfg = read_config(args.config)  # a syntax error names the file and line
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: {args.checkpoint} does not exist')
    # weights-only, allowlisted, finite (crevdet/checkpoint/files.py): an error line, not a
    # traceback, for a broken or code-carrying file
    check_checkpoint_arg(args.checkpoint, 'CKPT')
    out = new_output_dir(args.out_dir, 'detect_video', args.input)
    # frames are read one at a time (BGR, as the detector's pipeline expects)
    reader = open_input_frames(args.input, args.frame_step, args.max_frames,
                               transform=lambda f: f[:, :, ::-1])
    fps = reader.fps
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    mode = 'windowed' if args.windowed else 'stateful' if args.stateful else 'streaming'
    det = VideoDetector(cfg, args.checkpoint, device,
                        streaming={'windowed': False, 'streaming': True}.get(mode, mode),
                        cfg_options=args.cfg_options)
    t = det.num_frames
    if reader.expected < t:
        raise SystemExit(f'error: {args.input} gives {reader.expected} frames; the detector '
                         f'needs {t} (the target and {t - 1} before it)')
    os.makedirs(osp.join(out, 'labels'))
    # only the window in memory: the drawn frames go straight into the MP4, and the GIF keeps
    # 480-pixel thumbnails of the first GIF_FRAMES detected frames
    from crevdet.visualization.video_writer import VideoWriter
    video = VideoWriter(osp.join(out, 'detections.mp4'), osp.join(out, 'detections.gif'), fps,
                        gif_frames=GIF_FRAMES, gif_width=480)
    n, n_det = 0, 0
    bar = tqdm(reader, total=reader.expected, desc='detecting', unit='frame')
    t0 = time.perf_counter()
    try:
        for i, window in det.windows(bar):
            inst = det.detect(window, i)
            keep = inst.scores >= args.score_thr
            n, n_det = n + 1, n_det + int(keep.sum())
            with open(osp.join(out, 'labels', f'{i:06d}.txt'), 'w') as f:
                for box, label, score in zip(inst.bboxes[keep].tolist(),
                                             inst.labels[keep].tolist(),
                                             inst.scores[keep].tolist()):
                    f.write(format_kitti_line(det.classes[label], box, score) + '\n')
            drawn = draw_boxes(window[-1], inst.bboxes[keep].tolist(), inst.labels[keep].tolist(),
                               det.classes, inst.scores[keep].tolist())
            video.add(drawn[:, :, ::-1])  # drawn on the BGR frame; the writer takes RGB
    except OSError as e:  # e.g. a video whose header opens but whose frames do not decode
        raise SystemExit(f'error: {e}')
    finally:
        video.close()
    wall = time.perf_counter() - t0
    n_read = bar.n
    check_truncated(reader.truncated, what='detecting')
    if not n:
        raise SystemExit(f'error: {args.input} gave {n_read} decodable frames; the detector '
                         f'needs {t} (the target and {t - 1} before it)')
    summary = dict(input=args.input, frames_read=n_read, frames_detected=n,
                   detections=n_det, score_thr=args.score_thr, gif_frames=min(n, GIF_FRAMES),
                   mode=mode, device=device,
                   model_fps=n / det.model_seconds, overall_fps=n / wall)
    with open(osp.join(out, 'summary.json'), 'x') as f:
        json.dump(summary, f, indent=2)
    print(f'{n} frames, {n_det} detections >= {args.score_thr}; model {summary["model_fps"]:.2f} '
          f'frames/s ({summary["mode"]}, {device}), overall {summary["overall_fps"]:.2f} '
          f'frames/s. Wrote detections.mp4/.gif, labels/ and summary.json to {out}')


if __name__ == '__main__':
    main()
