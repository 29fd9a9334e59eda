"""Predict future frames of a video (or frame folder) with a trained video predictor.

    python tools/predict.py CKPT INPUT [--config CFG] [--out-dir DIR] [--frame-step N]

The model and the frame size come from the config stored in the checkpoint (or ``--config``).
Every window of ``n_past`` frames predicts the next ``n_future``; outputs under ``--out-dir``
(default ``work_dirs/predict/<input name>_<time>/``):
  * ``frames/<index>.png``     the one-step-ahead prediction of every frame with n_past before it
  * ``side_by_side.mp4/.gif``  ground truth | prediction, frame by frame
  * ``grid.png``               the first window: observed | ground truth | prediction rows
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np


def load_frames(path: str, frame_size, frame_step: int, allow_truncated: bool = False):
    """All frames of a video file or image folder, resized/cropped like the training data. A
    video that decodes fewer frames than its header announces is an error (a truncated or
    corrupt file) unless ``allow_truncated``, which goes on with the decodable ones (reported)."""
    from crevdet.datasets.base_video import resize_center_crop
    from crevdet.cli import read_input_frames
    return read_input_frames(path, frame_step,
                             transform=lambda f: resize_center_crop(f, frame_size),
                             allow_truncated=allow_truncated, what='predicting')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='checkpoint of a video-prediction run')
    parser.add_argument('input', help='video file (.mp4/.avi/...) or folder of frames')
    parser.add_argument('--config', help='config (default: the one stored in the checkpoint)')
    parser.add_argument('--out-dir', help='output folder (must not exist)')
    parser.add_argument('--frame-step', type=int, default=1, help='use every n-th input frame')
    parser.add_argument('--device', help='cuda or cpu (default: cuda when available)')
    parser.add_argument('--allow-truncated', action='store_true',
                        help='go on with the decodable frames of a truncated video')
    args = parser.parse_args(argv)
    if args.frame_step < 1:
        raise SystemExit(f'error: --frame-step must be >= 1, got {args.frame_step}')
    import torch
    args.device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    from tqdm import tqdm

    from crevdet.checkpoint import (CheckpointFileError, UnregisteredTypeError,
                                    check_registered_types, checkpoint_config,
                                    install_checkpoint_loader, load_local_checkpoint)
    from crevdet.models.predictors.base_predictor import BaseVideoPredictor
    from crevdet.registry import MODELS
    from crevdet.cli import new_output_dir
    from crevdet.utils import register_all_modules
    from crevdet.cli.common import read_config
    from crevdet.visualization import save_prediction_visuals
    register_all_modules()
    install_checkpoint_loader()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: checkpoint {args.checkpoint} does not exist')
    try:  # weights-only (crevdet/checkpoint/files.py): a checkpoint never runs code
        ckpt = load_local_checkpoint(args.checkpoint, 'cpu')
    except CheckpointFileError as e:
        raise SystemExit(f'error: {e}')
    if args.config:
        cfg = read_config(args.config)
    else:
        stored = checkpoint_config(ckpt, args.checkpoint)
        if not stored or not isinstance(stored.get('model'), dict):
            raise SystemExit(f'error: {args.checkpoint} stores no readable config; pass --config')
        cfg = Config(stored)  # parsed from meta['cfg'], never executed
        try:  # built from a file's data: registered types only (never 'os.system')
            check_registered_types(stored['model'], f'model config stored in {args.checkpoint}')
        except UnregisteredTypeError as e:
            raise SystemExit(f'error: {e}')
    model_type = cfg.model.get('type')
    with MODELS.switch_scope_and_registry(cfg.get('default_scope', 'crevdet')) as registry:
        cls = registry.get(model_type) if isinstance(model_type, str) else model_type
    if not (isinstance(cls, type) and issubclass(cls, BaseVideoPredictor)):
        name = getattr(cls, '__name__', model_type)
        raise SystemExit(f'error: {args.checkpoint} holds a {name} ({model_type}), not a video '
                         'predictor: predict.py needs a video-prediction pretraining checkpoint '
                         '(tools/train.py configs/pretrain_*.py); evaluate a detector with '
                         'tools/test.py')
    model = MODELS.build(cfg.model)
    from crevdet.checkpoint.weights import NonFiniteWeightsError, check_finite_weights
    try:
        check_finite_weights(ckpt.get('state_dict', ckpt), args.checkpoint)
    except NonFiniteWeightsError as e:
        raise SystemExit(f'error: {e}')
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model.to(args.device).eval()
    frame_size = cfg.test_dataloader.dataset.get('frame_size', None)
    frames, fps = load_frames(args.input, frame_size, args.frame_step, args.allow_truncated)
    n_past, n_future = model.n_past, model.n_future
    if len(frames) <= n_past:
        raise SystemExit(f'error: {args.input} gives {len(frames)} frames; the model observes '
                         f'{n_past} before predicting')
    out = new_output_dir(args.out_dir, 'predict', args.input)
    os.makedirs(osp.join(out, 'frames'))
    video = torch.from_numpy(np.stack(frames).transpose(0, 3, 1, 2).copy()).float() / 255
    side = []
    first = None
    with torch.no_grad():
        for t in tqdm(range(n_past, len(frames)), desc='predicting', unit='frame'):
            clip = video[t - n_past:t + n_future].unsqueeze(0).to(args.device)
            pred, _ = model.rollout(clip, n_past, 1 if t + n_future > len(frames) else n_future)
            pred = pred.clamp(0, 1)[0].cpu()
            img = (pred[0].numpy().transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)
            cv2.imwrite(osp.join(out, 'frames', f'{t:06d}.png'), img[:, :, ::-1])
            side.append(np.concatenate([frames[t], img], 1))
            if first is None:
                first = (clip[0, :n_past].cpu(), clip[0, n_past:].cpu(), pred)
    from crevdet.visualization.video_writer import write_video
    write_video(side, osp.join(out, 'side_by_side.mp4'), osp.join(out, 'side_by_side.gif'), fps)
    gt = first[1][:first[2].shape[0]] if len(first[1]) else None
    png, _ = save_prediction_visuals(osp.join(out, 'grid'), [first[0]], [gt], [first[2]])
    print(f'wrote {len(side)} predicted frames, side_by_side.mp4/.gif and {osp.basename(png)} '
          f'to {out}')


if __name__ == '__main__':
    main()
