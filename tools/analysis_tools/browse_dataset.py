"""Pictures of dataset samples as the model sees them (after the config's pipeline).

    python tools/analysis_tools/browse_dataset.py CONFIG [--split train|val|test] [--num 8]
        [--out-dir DIR] [--seed 0] [--cfg-options k=v ...]

* Detection configs (stacked previous frames + target): one PNG per sample, the frames side by
  side oldest first, the target last with its ground-truth boxes and class names, so a wrong
  ``prev_2`` order (or a missing one repeated) shows at a glance.
* Video-prediction configs: one PNG per clip, its frames in a strip, observed | future.
Output: ``--out-dir`` (default ``work_dirs/browse/<config>_<time>``), never an existing folder.
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np

from crevdet.cli import CfgDictAction
from crevdet.visualization import draw_boxes

def caption(img: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((18, img.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, text, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, img], 0)


def detection_picture(item: dict, classes) -> np.ndarray:
    """BGR frames (3T, H, W) side by side, oldest first; boxes on the target."""
    x = item['inputs'].numpy()
    t = x.shape[0] // 3
    frames = [np.ascontiguousarray(x[3 * i:3 * i + 3].transpose(1, 2, 0)) for i in range(t)]
    gt = item['data_samples'].gt_instances
    boxes = gt.bboxes.tensor if hasattr(gt.bboxes, 'tensor') else gt.bboxes
    target = draw_boxes(frames[-1], boxes.tolist(), gt.labels.tolist(), classes, thickness=1,
                        font_scale=0.35)
    names = [f't-{t - 1 - i}' for i in range(t - 1)] + ['target + boxes']
    gap = np.full((frames[0].shape[0] + 18, 4, 3), 255, np.uint8)
    parts = []
    for i, (f, n) in enumerate(zip(frames[:-1] + [target], names)):
        parts += [caption(f, n)] + ([gap] if i < t - 1 else [])
    meta = item['data_samples'].metainfo
    return caption(np.concatenate(parts, 1), f'{meta.get("img_id", "")}  {meta.get("img_path", "")}'
                   f'  ({len(boxes)} boxes)')


def clip_picture(item: dict, n_past: int) -> np.ndarray:
    """uint8 (T, C, H, W) RGB/gray clip as one strip."""
    x = item['inputs'].numpy()
    frames = [f.transpose(1, 2, 0) for f in x]
    frames = [np.repeat(f, 3, 2) if f.shape[2] == 1 else f[:, :, ::-1] for f in frames]
    gap = np.full((frames[0].shape[0] + 18, 4, 3), 255, np.uint8)
    parts = []
    for i, f in enumerate(frames):
        name = f'obs {i}' if i < n_past else f'future {i - n_past + 1}'
        parts += [caption(np.ascontiguousarray(f), name), gap]
    meta = getattr(item.get('data_samples'), 'metainfo', {}) or {}
    where = meta.get('source') or meta.get('drive') or ''
    return caption(np.concatenate(parts[:-1], 1), f'{where} start {meta.get("start_frame", "")}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train')
    parser.add_argument('--num', type=int, default=8, help='samples to draw')
    parser.add_argument('--seed', type=int, default=0, help='which samples (and augmentations)')
    parser.add_argument('--out-dir')
    parser.add_argument('--cfg-options', nargs='+', action=CfgDictAction)
    args = parser.parse_args(argv)
    from mmengine.registry import DefaultScope

    from crevdet.registry import DATASETS
    from crevdet.cli import check_cfg_options, config_path
    from crevdet.utils import register_all_modules
    from crevdet.cli.common import dataset_errors, new_output_dir, read_config
    register_all_modules()
    args.config = config_path(args.config)  # crevdet::NAME: a shipped config
    if not osp.isfile(args.config):
        raise SystemExit(f'error: config file {args.config!r} does not exist')
    cfg = read_config(args.config)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    # work_dirs/browse/<config>_<time> by default; an existing folder, or a file in the way of
    # the new one, is refused before any sample is drawn
    out = new_output_dir(args.out_dir, 'browse', args.config)
    loader = cfg.get(f'{args.split}_dataloader')
    if not loader:
        raise SystemExit(f'error: {args.config} has no {args.split}_dataloader')
    np.random.seed(args.seed)
    scope = cfg.get('default_scope', 'crevdet')
    with dataset_errors(), DefaultScope.overwrite_default_scope(scope):
        ds = DATASETS.build(loader.dataset)
    idx = np.random.default_rng(args.seed).permutation(len(ds))[:args.num]
    os.makedirs(out)
    classes = getattr(ds, 'metainfo', {}).get('classes', ())
    n_past = cfg.get('model', {}).get('n_past', 0)
    for i in idx:
        with dataset_errors():  # e.g. a frame the dataset cannot read: its file named
            item = ds[int(i)]
        if classes:
            img = detection_picture(item, classes)
            stem = item['data_samples'].metainfo.get('img_id', str(i))
        else:
            img = clip_picture(item, n_past)
            stem = f'clip_{int(i):06d}'
        cv2.imwrite(osp.join(out, f'{stem}.png'), img)
    print(f'{len(idx)} {args.split} samples of {len(ds)} drawn to {out}')


if __name__ == '__main__':
    main()
