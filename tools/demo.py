"""The README's main job: CrevNet pretraining -> frozen-backbone SSD -> KITTI AP, on embedded data.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-dir work_dirs/demo_data]
                         [--seed 0] [--methods srvp vqvae unet_rpm]

1. writes a deterministic synthetic driving world in both KITTI layouts (raw drives for
   pretraining, object images with prev_2 frames and label_2 files for detection), once;
2. pretrains a small CrevNet on the raw drives (configs/demo/pretrain_demo.py);
3. trains SSD on the frozen pretrained CrevNet (configs/demo/ssd_demo.py) and, as the control, on
   the same CrevNet left at its random initialisation (configs/demo/ssd_demo_random.py);
4. evaluates both with the official KITTI protocol, draws detections, prints the AP table.
``--methods`` adds other pretraining methods to the same comparison, each pretrained on the same
drives for the same iterations and detected with the same SSD (configs/demo/pretrain_<m>_demo.py,
configs/demo/ssd_<m>_demo.py): ``srvp`` (SRVP), ``vqvae`` (video VQ-VAE encoder), ``unet_rpm``
(the UNet + RPM ablation); about 9 more minutes each.
Every run writes to a new ``<work-dir>/<timestamp>/``; nothing earlier is overwritten.
About 14 minutes on 2 CPU cores with the defaults (80 pretraining iterations, 6 SSD epochs).
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

from crevdet.utils import REPO_ROOT as ROOT


# extra pretraining methods of --methods: name -> whether its pretraining config validates and
# runs the video benchmark hook (the VQ-VAE's stage 1 cannot predict yet, so it does not)
EXTRA_METHODS = {'srvp': True, 'vqvae': False, 'unet_rpm': True}


T0 = time.time()


def elapsed() -> str:
    m, sec = divmod(int(time.time() - T0), 60)
    return f'+{m:02d}:{sec:02d}'


def log(msg: str) -> None:
    print(f'[demo {time.strftime("%H:%M:%S")} {elapsed()}] {msg}', flush=True)


def run(args, log_file: str, what: str) -> None:
    """Run a tool in a fresh process; progress lines to the console, everything to log_file."""
    log(f'{what} (log: {log_file})')
    stage = what.split(' (')[0][:40]
    t0 = time.time()
    with open(log_file, 'w') as f:
        # unbuffered child: its progress lines reach the console as they are written
        env = dict(os.environ, PYTHONUNBUFFERED='1')
        proc = subprocess.Popen([sys.executable] + args, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=env)
        for line in proc.stdout:
            f.write(line)
            if 'Iter(train)' in line or 'Epoch(train)' in line or 'benchmark ' in line:
                # every progress line says the stage and the demo's elapsed time
                print(f'    [{stage} {elapsed()}] ' +
                      line.split(' - mmengine - INFO - ')[-1].rstrip()[:130], flush=True)
        if proc.wait():
            raise SystemExit(f'{what} failed (exit {proc.returncode}); see {log_file}')
    log(f'{what}: done in {time.time() - t0:.0f} s')


def newest_metrics(test_dir: str) -> str:
    """tools/test.py writes <work-dir>/<timestamp>/metrics.json."""
    found = sorted(glob.glob(osp.join(test_dir, '*', 'metrics.json')))
    if not found:
        raise SystemExit(f'no metrics.json under {test_dir}; see the test log')
    return found[-1]


def ensure_data(data_dir: str) -> None:
    from crevdet.datasets.synthetic_kitti import make_synthetic_kitti
    marker = osp.join(data_dir, '.complete')
    if osp.isfile(marker):
        log(f'synthetic KITTI data found in {data_dir}')
        return
    if osp.isdir(data_dir) and os.listdir(data_dir):
        raise SystemExit(f'{data_dir} exists but is incomplete or not demo data; remove it or pass '
                         '--data-dir with a new folder')
    log(f'writing synthetic KITTI raw + object data to {data_dir}')

    def progress(done, total):
        if done % 100 == 0 or done == total:
            print(f'    {done}/{total} images', flush=True)
    make_synthetic_kitti(data_dir, seed=0, progress=progress)
    open(marker, 'w').write('seed=0\n')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo', help='runs go to <work-dir>/<time>')
    parser.add_argument('--data-dir', default='work_dirs/demo_data',
                        help='synthetic data folder (written once, then reused)')
    parser.add_argument('--pretrain-iters', type=int, default=80)
    parser.add_argument('--det-epochs', type=int, default=6)
    parser.add_argument('--seed', type=int, default=0,
                        help='training seed of every run (the synthetic data stay the same)')
    parser.add_argument('--methods', nargs='*', default=[], choices=list(EXTRA_METHODS),
                        help='other pretraining methods to compare with CrevNet')
    args = parser.parse_args(argv)
    t_start = time.time()
    data_dir = osp.abspath(args.data_dir)
    run_dir = osp.abspath(osp.join(args.work_dir, time.strftime('%Y%m%d_%H%M%S')))
    os.makedirs(run_dir, exist_ok=False)
    ensure_data(data_dir)
    raw, obj = osp.join(data_dir, 'raw') + '/', osp.join(data_dir, 'object') + '/'

    n_steps = 1 + 2 + 2 * len(args.methods)
    step = iter(range(1, n_steps + 1))
    ckpts = {}
    for method in ['crevnet'] + list(args.methods):
        pre_cfg = 'configs/demo/pretrain_demo.py' if method == 'crevnet' else \
            f'configs/demo/pretrain_{method}_demo.py'
        pre_dir = osp.join(run_dir, 'pretrain' if method == 'crevnet' else f'pretrain_{method}')
        opts = [f'train_dataloader.dataset.data_root={raw}',
                f'test_dataloader.dataset.data_root={raw}',
                f'train_cfg.max_iters={args.pretrain_iters}',
                f'default_hooks.checkpoint.interval={args.pretrain_iters}',
                f'randomness.seed={args.seed}']
        if EXTRA_METHODS.get(method, True):  # has a validation set and the benchmark hook
            hook_ds = 'custom_hooks.0.datasets.0.dataset.data_root'
            opts += [f'val_dataloader.dataset.data_root={raw}',
                     # no validation loop: the benchmark hook reports the same metrics (and
                     # copy-last) at the end
                     f'train_cfg.val_begin={args.pretrain_iters + 1}',
                     f'custom_hooks.0.interval={args.pretrain_iters}', f'{hook_ds}={raw}']
        run(['tools/train.py', pre_cfg, '--work-dir', pre_dir, '--cfg-options'] + opts,
            osp.join(run_dir, f'pretrain_{method}.log'),
            f'{next(step)}/{n_steps} pretraining {method} ({args.pretrain_iters} iters)')
        ckpts[method] = osp.join(pre_dir, f'iter_{args.pretrain_iters}.pth')

    data_opts = [f'{k}.dataset.data_root={obj}' for k in
                 ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    # no validation while training: tools/test.py evaluates the final model right after
    sched = [f'train_cfg.max_epochs={args.det_epochs}',
             f'train_cfg.val_begin={args.det_epochs + 1}',
             f'default_hooks.checkpoint.interval={args.det_epochs}',
             f'param_scheduler.1.milestones=[{max(1, int(args.det_epochs * 0.75))}]',
             f'randomness.seed={args.seed}']
    detectors = [('crevnet_pretrained', 'configs/demo/ssd_demo.py', ckpts['crevnet']),
                 ('crevnet_random', 'configs/demo/ssd_demo_random.py', None)]
    detectors += [(f'{m}_pretrained', f'configs/demo/ssd_{m}_demo.py', ckpts[m])
                  for m in args.methods]
    results = {}
    for name, cfg, ckpt in detectors:
        extra = [f'model.backbone.init_cfg.checkpoint={ckpt}'] if ckpt else []
        wd = osp.join(run_dir, name)
        run(['tools/train.py', cfg, '--work-dir', wd, '--cfg-options'] + data_opts + sched + extra,
            osp.join(run_dir, f'{name}_train.log'),
            f'{next(step)}/{n_steps} training SSD on frozen {name}')
        det_ckpt = osp.join(wd, f'epoch_{args.det_epochs}.pth')
        test_dir = osp.join(run_dir, f'{name}_test')
        run(['tools/test.py', cfg, det_ckpt, '--work-dir', test_dir, '--show-dir', 'vis',
             '--cfg-options'] + data_opts + extra, osp.join(run_dir, f'{name}_test.log'),
            f'evaluating {name}')
        results[name] = json.load(open(newest_metrics(test_dir)))

    from crevdet.evaluation.functional.kitti import CLASSES, DIFFICULTIES
    names = [d[0] for d in detectors]
    titles = {'crevnet_pretrained': 'SSD + pretrained CrevNet',
              'crevnet_random': 'SSD + random CrevNet (control)'}
    titles.update({f'{m}_pretrained': f'SSD + pretrained {m}' for m in args.methods})
    lines = ['', 'KITTI 2D AP (R40, official protocol) on the synthetic val split',
             '| entry | ' + ' | '.join(titles[n] for n in names) + ' |',
             '|---|' + '---|' * len(names)]
    for cls in CLASSES:
        for d in DIFFICULTIES:
            key = f'kitti/{cls}_{d}_R40'
            vals = [results[n].get(key) for n in names]
            lines.append(f'| {cls} {d} | ' + ' | '.join('n/a' if v is None else f'{v:.2f}'
                                                       for v in vals) + ' |')
    for rule in ('R40', 'R11'):
        vals = [results[n].get(f'kitti/mAP_{rule}', float('nan')) for n in names]
        lines.append(f'| **mAP {rule}** | ' + ' | '.join(f'{v:.2f}' for v in vals) + ' |')
    table = '\n'.join(lines)
    print(table)
    with open(osp.join(run_dir, 'summary.md'), 'w') as f:
        f.write(table + '\n')
    json.dump(results, open(osp.join(run_dir, 'summary.json'), 'w'), indent=2)
    log(f'finished in {(time.time() - t_start) / 60:.1f} min. Outputs in {run_dir}: '
        'pretrain/vis_benchmark (video predictions), *_test/*/vis (detections), summary.md')


if __name__ == '__main__':
    main()
