"""Train a crevdet model (video-prediction pretraining or detection), mmdetection-style.

    python tools/train.py configs/pretrain_kitti.py [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--tensorboard] [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}]
(``python -m crevdet.cli.train`` is the same tool.)
Multi-process: torchrun --nproc_per_node=N tools/train.py CONFIG --launcher pytorch
(CPU-only machines use the gloo backend automatically).
"""
import argparse
import os

from mmengine.config import Config

from crevdet.cli import CfgDictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a crevdet model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual total batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the newest readable checkpoint in the work '
                        'dir when no path is given. Without --resume the work dir must not hold '
                        'a run yet (a run never overwrites another)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgDictAction,
                        help='override config settings, key=value (e.g. '
                        'train_dataloader.batch_size=2 model.n_future=1)')
    parser.add_argument('--tensorboard', action='store_true',
                        help='also log to TensorBoard: scalars and the video-prediction grids '
                        '(event files in <work_dir>/<timestamp>/vis_data; pip install tensorboard)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args) -> Config:
    from crevdet.cli import load_tool_config
    cfg = load_tool_config(args)
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'AmpOptimWrapper':
            print('AMP is already enabled in the config.')
        elif wrapper != 'OptimWrapper':
            raise SystemExit(f'--amp needs optim_wrapper.type OptimWrapper, got {wrapper}')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise SystemExit("--auto-scale-lr needs 'auto_scale_lr=dict(base_batch_size=...)' in "
                             'the config')
        cfg.auto_scale_lr.enable = True
    if args.tensorboard:
        import importlib.util
        if importlib.util.find_spec('tensorboard') is None:
            raise SystemExit('error: --tensorboard needs the tensorboard package: '
                             'pip install "tensorboard>=2.14"')
        backends = list(cfg.visualizer.get('vis_backends') or [dict(type='LocalVisBackend')])
        if not any(b.get('type') == 'TensorboardVisBackend' for b in backends):
            backends.append(dict(type='TensorboardVisBackend'))
        cfg.visualizer.vis_backends = backends
    from crevdet.checkpoint.files import plan_run_dir
    resume = args.resume
    if resume is None and cfg.get('resume'):
        # `--cfg-options resume=True [load_from=CKPT]` follows the same rules as --resume
        resume = cfg.get('load_from') or 'auto'
    resume_from = plan_run_dir(cfg.work_dir, resume)
    from crevdet.cli.common import (check_checkpoint_arg, check_pretrained_checkpoints,
                                    expand_model_files)
    check_pretrained_checkpoints(cfg)  # a detector whose pretraining has not run: one line
    expand_model_files(cfg)  # the backbone's model from the pretraining config it names
    if resume_from is not None:
        check_checkpoint_arg(resume_from, '--resume')
        cfg.resume, cfg.load_from = True, resume_from
    elif cfg.get('load_from'):
        check_checkpoint_arg(cfg.load_from, 'load_from')
    return cfg



def main(argv=None):
    args = parse_args(argv)
    from crevdet.engine import build_runner
    from crevdet.utils import register_all_modules
    from crevdet.cli.common import finish_distributed
    register_all_modules(init_default_scope=False)
    cfg = build_cfg(args)
    from crevdet.cli.common import dataset_errors
    with dataset_errors():  # e.g. a damaged frame cache: one line naming it, not a traceback
        runner = build_runner(cfg)
        runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()
