"""Inference speed of a detector (images/s), data loading excluded.

    python tools/analysis_tools/det_fps.py CONFIG [CKPT] [--num-images 50] [--warmup 5]
        [--cfg-options k=v ...]

Runs ``model.test_step`` on the first images of the test set, one at a time (batch 1, as the
paper's 6.8 FPS on a V100), after ``--warmup`` untimed images.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import Config, DictAction  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', help='weights (default: the config\'s init)')
    parser.add_argument('--num-images', type=int, default=50)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.runner import load_checkpoint

    from crevdet.engine import install_checkpoint_loader
    from crevdet.registry import DATASETS, MODELS
    from crevdet.utils import register_all_modules
    register_all_modules()
    install_checkpoint_loader()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model.to(device).eval()
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    n = min(len(ds), args.num_images + args.warmup)
    if n <= args.warmup:
        raise SystemExit(f'the test set has {len(ds)} images; need more than --warmup')
    timed = 0.0
    with torch.no_grad():
        for i in range(n):
            batch = pseudo_collate([ds[i]])
            if device == 'cuda':
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            model.test_step(batch)
            if device == 'cuda':
                torch.cuda.synchronize()
            if i >= args.warmup:
                timed += time.perf_counter() - t0
    fps = (n - args.warmup) / timed
    shape = tuple(ds[0]['inputs'].shape)
    print(f'{fps:.2f} images/s ({1000 / fps:.1f} ms/image) on {device}, input {shape}, '
          f'{n - args.warmup} images, batch 1, torch threads {torch.get_num_threads()}')


if __name__ == '__main__':
    main()
