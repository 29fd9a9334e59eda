"""Test a trained crevdet model; print its metrics and write <work-dir>/<timestamp>/metrics.json
(one per test run, next to that run's log: nothing earlier is replaced).

CHECKPOINT is a .pth file or a training run's folder (its newest checkpoint).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl] [--show-dir DIR]
        [--dump-detections FILE.json] [--cfg-options k=v ...] [--launcher ...]
(``python -m crevdet.cli.test`` is the same tool.)
"""
import argparse
import json
import os
import os.path as osp

from crevdet.cli import CfgDictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a crevdet model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file, or a run folder '
                        '(work_dirs/<config>/): its newest checkpoint')
    parser.add_argument('--work-dir', help='where metrics.json and logs go '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--out', help='dump raw predictions to this pickle file')
    parser.add_argument('--dump-detections', metavar='FILE.json',
                        help="KITTI metric only: write every image's ground truth and detections "
                             'to this new JSON file (for tools/analysis_tools/map_interval.py)')
    parser.add_argument('--show-dir', help='save visualisations to this folder (inside the '
                        'work dir timestamp folder, as mmdetection does)')
    parser.add_argument('--format-only', action='store_true',
                        help='only write KITTI submission files (<id>.txt) to --outfile-prefix')
    parser.add_argument('--outfile-prefix', help='folder for --format-only output '
                        '(default: <work-dir>/kitti_submission); must not hold files yet')
    parser.add_argument('--cfg-options', nargs='+', action=CfgDictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    if not osp.exists(args.checkpoint):
        raise SystemExit(f'error: checkpoint file {args.checkpoint!r} does not exist')
    from crevdet.engine import build_runner
    from crevdet.cli import load_tool_config
    from crevdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = load_tool_config(args)
    if cfg.get('resume'):
        raise SystemExit('error: --cfg-options resume=True: tools/test.py evaluates the weights '
                         'of CHECKPOINT; resuming is a training option (tools/train.py --resume)')
    from crevdet.cli.common import (check_checkpoint_arg, check_output_file, check_work_dir,
                                    dataset_errors, expand_model_files)
    check_checkpoint_arg(args.checkpoint, 'CHECKPOINT')
    expand_model_files(cfg)
    from crevdet.checkpoint.files import resolve_checkpoint
    cfg.load_from = resolve_checkpoint(args.checkpoint)  # a run folder: its newest checkpoint
    if args.format_only:
        if cfg.test_evaluator.get('type') != 'KittiMetric':
            raise SystemExit('--format-only needs test_evaluator of type KittiMetric')
        cfg.test_evaluator.format_only = True
        prefix = args.outfile_prefix or osp.join(cfg.work_dir, 'kitti_submission')
        # checked now: KittiMetric only writes (and refuses) once every image is detected
        check_work_dir(prefix, '--outfile-prefix')
        if osp.isdir(prefix) and os.listdir(prefix):
            raise SystemExit(f'error: --outfile-prefix {prefix} already holds files; pass a new '
                             'or empty folder (a submission is never written over another)')
        cfg.test_evaluator.outfile_prefix = prefix
    if args.dump_detections:
        if cfg.test_evaluator.get('type') != 'KittiMetric':
            raise SystemExit('--dump-detections needs test_evaluator of type KittiMetric')
        if not args.dump_detections.endswith('.json'):
            raise SystemExit(f'--dump-detections {args.dump_detections!r}: expected a .json file')
        if osp.exists(args.dump_detections):
            raise SystemExit(f'--dump-detections {args.dump_detections!r} exists already; '
                             'refusing to overwrite it')
        check_output_file(args.dump_detections, '--dump-detections')
        cfg.test_evaluator.dump_file = args.dump_detections
    if args.show_dir:
        hooks = cfg.default_hooks
        if 'visualization' not in hooks:
            raise SystemExit('--show-dir needs a visualization hook in default_hooks')
        if osp.isabs(args.show_dir):  # a relative one goes into the new <timestamp>/ folder
            check_work_dir(args.show_dir, '--show-dir')
        hooks.visualization.draw = True
        hooks.visualization.test_out_dir = args.show_dir
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise SystemExit('--out must be a .pkl or .pickle file')
        if osp.exists(args.out):
            raise SystemExit(f'--out {args.out!r} exists already; refusing to overwrite it')
        check_output_file(args.out, '--out')
    with dataset_errors():  # e.g. a split file naming a missing image: one line naming it
        runner = build_runner(cfg)
        if args.out is not None:
            from mmengine.evaluator import DumpResults
            runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
        metrics = runner.test()
    from mmengine.dist import is_main_process
    main_process = is_main_process()  # asked before the process group ends
    from crevdet.cli.common import finish_distributed
    finish_distributed()
    if args.format_only:
        print(f'KITTI submission files written to {cfg.test_evaluator.outfile_prefix}')
        return
    flat = {k: (float(v) if isinstance(v, (int, float)) else v) for k, v in metrics.items()}
    if not main_process:  # every process gets the metrics; one writes them
        return
    out = osp.join(runner.log_dir, 'metrics.json')  # <work_dir>/<timestamp>/: never replaced
    with open(out, 'x') as f:
        json.dump(flat, f, indent=2, sort_keys=True)
    from crevdet.evaluation import format_video_table
    if any(k.startswith('video/') for k in flat):
        print(format_video_table({k.split('/', 1)[1]: v for k, v in flat.items()
                                  if k.startswith('video/')}))
    print(f'metrics written to {out}')


if __name__ == '__main__':
    main()
