"""What a frozen backbone's features hold, checkpoint by checkpoint: a linear probe of objectness
and the features' conditioning, to tell "the information is gone" from "the head cannot reach it
in its schedule" (the diagnosis of docs/benchmarks/detection_transfer.md).

For every checkpoint (or ``random``: the network at its initialisation) the detection config's
backbone is built and run, frozen, on the object split's images. Per returned stage:

* ``probe AP``: a ridge-regression probe from a cell's feature vector (channels standardised on
  the training cells) to "the cell's centre lies inside a labelled box" (any class), fitted on
  the train split and scored on the val split as average precision. Linear, closed form, no
  schedule: it measures what the features make linearly available.
* ``scale``: the mean over channels of the per-channel standard deviation over all cells.
* ``cond``: the ratio of the largest to the median per-channel standard deviation: a head
  trained briefly with one learning rate sees channels at very different scales when it is big.
* ``dc``: the share of the features' energy that is each channel's mean (a constant offset per
  channel, which carries no position information).

    python projects/research/feature_probe.py configs/demo/ssd_demo.py random \\
        work_dirs/.../pretrain/iter_40.pth work_dirs/.../pretrain/iter_320.pth \\
        --data-root work_dirs/demo_data_moving/object/ --max-train 80
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List

import numpy as np
import torch


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the precision-recall curve (step-wise, as sklearn's average_precision_score)."""
    order = np.argsort(-scores, kind='stable')
    hits = labels[order].astype(np.float64)
    if hits.sum() == 0:
        return float('nan')
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())


def inside_boxes(h: int, w: int, stride_y: float, stride_x: float, boxes: np.ndarray
                 ) -> np.ndarray:
    """``(h, w)`` bool: cell centres (in input pixels) inside any ``(N, 4)`` x1y1x2y2 box."""
    ys = (np.arange(h) + 0.5) * stride_y
    xs = (np.arange(w) + 0.5) * stride_x
    yy, xx = np.meshgrid(ys, xs, indexing='ij')
    out = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in boxes:
        out |= (xx >= x1) & (xx <= x2) & (yy >= y1) & (yy <= y2)
    return out


def ridge_probe(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray,
                lam: float = 1.0) -> np.ndarray:
    """Scores of a ridge regression fitted on standardised features (bias not penalised)."""
    mu, sd = train_x.mean(0), train_x.std(0) + 1e-6
    a = np.concatenate([(train_x - mu) / sd, np.ones((len(train_x), 1))], 1)
    reg = lam * np.eye(a.shape[1])
    reg[-1, -1] = 0
    w = np.linalg.solve(a.T @ a + reg, a.T @ train_y.astype(np.float64))
    b = np.concatenate([(val_x - mu) / sd, np.ones((len(val_x), 1))], 1)
    return b @ w


def take(loader, max_images: int) -> list:
    """The loader's first batches, up to ``max_images`` samples: read (decoded) once, then
    probed with every checkpoint."""
    batches, seen = [], 0
    for batch in loader:
        batches.append(batch)
        seen += len(batch['data_samples'])
        if seen >= max_images:
            break
    return batches


def extract(model, batches: list):
    """Per stage: (cells x channels) features, per-cell objectness labels."""
    feats: Dict[int, List[np.ndarray]] = {}
    labels: Dict[int, List[np.ndarray]] = {}
    for batch in batches:
        data = model.data_preprocessor(batch, False)
        with torch.no_grad():
            outs = model.backbone(data['inputs'])
        in_h, in_w = data['inputs'].shape[-2:]
        for i, o in enumerate(outs):
            o = o.float().numpy()
            for s in range(o.shape[0]):
                sample = data['data_samples'][s]
                boxes = sample.gt_instances.bboxes
                boxes = boxes.tensor.numpy() if hasattr(boxes, 'tensor') else np.asarray(boxes)
                h, w = o.shape[-2:]
                feats.setdefault(i, []).append(o[s].reshape(o.shape[1], -1).T)
                labels.setdefault(i, []).append(
                    inside_boxes(h, w, in_h / h, in_w / w, boxes).reshape(-1))
    return ({i: np.concatenate(v) for i, v in feats.items()},
            {i: np.concatenate(v) for i, v in labels.items()})


def stats(x: np.ndarray) -> dict:
    sd = x.std(0)
    energy = (x ** 2).mean(0).sum()
    return dict(scale=float(sd.mean()), cond=float(sd.max() / max(np.median(sd), 1e-12)),
                dc=float((x.mean(0) ** 2).sum() / max(energy, 1e-12)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a detection config with a VideoPredictorBackbone')
    parser.add_argument('checkpoints', nargs='+',
                        help="pretraining checkpoints (iter_N.pth), or 'random'")
    parser.add_argument('--data-root', required=True, help='the KITTI-object layout folder')
    parser.add_argument('--max-train', type=int, default=80, help='train images for the probe')
    parser.add_argument('--ridge', type=float, default=10.0, help='the probe\'s L2 penalty')
    args = parser.parse_args(argv)

    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from crevdet.apis.transfer import repo_config
    from crevdet.checkpoint import expand_pretrain_configs, install_checkpoint_loader
    from crevdet.registry import MODELS
    from crevdet.utils import register_all_modules
    from crevdet.cli.common import read_config
    register_all_modules(init_default_scope=False)
    install_checkpoint_loader()  # weights-only, as every tool reads checkpoints

    if not osp.isfile(osp.join(args.data_root, 'ImageSets', 'val.txt')):
        sys.exit(f'error: --data-root {args.data_root} is not a KITTI-object layout folder '
                 '(expected ImageSets/train.txt, ImageSets/val.txt, training/image_2, ...)')
    for ck in args.checkpoints:
        if ck != 'random' and not osp.isfile(ck):
            sys.exit(f'error: checkpoint {ck} not found (or pass random)')
    cfg = expand_pretrain_configs(read_config(repo_config(args.config)))
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    for name in ('train_dataloader', 'val_dataloader'):
        cfg[name].dataset.data_root = args.data_root
        cfg[name].num_workers = 0
        cfg[name].persistent_workers = False
        cfg[name].sampler = dict(type='DefaultSampler', shuffle=False)
    # the val pipeline (no augmentation) for both splits, with the boxes kept
    cfg.train_dataloader.dataset.pipeline = cfg.val_dataloader.dataset.pipeline
    cfg.train_dataloader.dataset.test_mode = False
    cfg.val_dataloader.dataset.test_mode = False
    train_batches = take(Runner.build_dataloader(cfg.train_dataloader), args.max_train)
    val_batches = take(Runner.build_dataloader(cfg.val_dataloader), 10 ** 9)
    rows = []
    for ck in args.checkpoints:
        cfg.model.backbone.init_cfg = None if ck == 'random' else dict(
            type='Pretrained', checkpoint=ck)
        torch.manual_seed(0)  # the random entry's weights: the controls' initialisation
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.eval()
        tr_x, tr_y = extract(model, train_batches)
        va_x, va_y = extract(model, val_batches)
        for i in sorted(tr_x):
            ap = average_precision(ridge_probe(tr_x[i], tr_y[i], va_x[i], args.ridge), va_y[i])
            rows.append(dict(checkpoint=osp.basename(ck), stage=i, channels=tr_x[i].shape[1],
                             probe_ap=ap, base=float(va_y[i].mean()), **stats(va_x[i])))
            print(f"{rows[-1]['checkpoint']:>14} stage {i}: probe AP {ap:.3f} "
                  f"(positives {rows[-1]['base']:.3f}), scale {rows[-1]['scale']:.3g}, "
                  f"cond {rows[-1]['cond']:.1f}, dc {rows[-1]['dc']:.2f}", flush=True)
    print('\n| checkpoint | stage | channels | probe AP (val) | positives | scale | cond | dc |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|')
    for r in rows:
        print(f"| {r['checkpoint']} | {r['stage']} | {r['channels']} | {r['probe_ap']:.3f} | "
              f"{r['base']:.3f} | {r['scale']:.3g} | {r['cond']:.1f} | {r['dc']:.2f} |")


if __name__ == '__main__':
    main()
