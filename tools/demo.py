"""The README's main job: CrevNet pretraining -> frozen-backbone SSD -> KITTI AP, on embedded data.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-dir work_dirs/demo_data]

1. writes a deterministic synthetic driving world in both KITTI layouts (raw drives for
   pretraining, object images with prev_2 frames and label_2 files for detection), once;
2. pretrains a small CrevNet on the raw drives (configs/demo/pretrain_demo.py);
3. trains SSD on the frozen pretrained CrevNet (configs/demo/ssd_demo.py) and, as the control, on
   the same CrevNet left at its random initialisation (configs/demo/ssd_demo_random.py);
4. evaluates both with the official KITTI protocol, draws detections, prints the AP table.
Every run writes to a new ``<work-dir>/<timestamp>/``; nothing earlier is overwritten.
About 12-15 minutes on 2 CPU cores.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)


def log(msg: str) -> None:
    print(f'[demo {time.strftime("%H:%M:%S")}] {msg}', flush=True)


def run(args, log_file: str, what: str) -> None:
    """Run a tool in a fresh process; progress lines to the console, everything to log_file."""
    log(f'{what} (log: {log_file})')
    t0 = time.time()
    with open(log_file, 'w') as f:
        proc = subprocess.Popen([sys.executable] + args, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            f.write(line)
            if 'Iter(train)' in line or 'Epoch(train)' in line or 'benchmark ' in line:
                print('    ' + line.split(' - mmengine - INFO - ')[-1].rstrip()[:150], flush=True)
        if proc.wait():
            raise SystemExit(f'{what} failed (exit {proc.returncode}); see {log_file}')
    log(f'{what}: done in {time.time() - t0:.0f} s')


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
    parser.add_argument('--pretrain-iters', type=int, default=200)
    parser.add_argument('--det-epochs', type=int, default=10)
    args = parser.parse_args(argv)
    t_start = time.time()
    data_dir = osp.abspath(args.data_dir)
    run_dir = osp.abspath(osp.join(args.work_dir, time.strftime('%Y%m%d_%H%M%S')))
    os.makedirs(run_dir, exist_ok=False)
    ensure_data(data_dir)
    raw, obj = osp.join(data_dir, 'raw') + '/', osp.join(data_dir, 'object') + '/'

    pre_dir = osp.join(run_dir, 'pretrain')
    hook_ds = 'custom_hooks.0.datasets.0.dataset.data_root'
    run(['tools/train.py', 'configs/demo/pretrain_demo.py', '--work-dir', pre_dir,
         '--cfg-options', f'train_dataloader.dataset.data_root={raw}',
         f'val_dataloader.dataset.data_root={raw}', f'test_dataloader.dataset.data_root={raw}',
         f'train_cfg.max_iters={args.pretrain_iters}', f'train_cfg.val_interval={args.pretrain_iters}',
         f'default_hooks.checkpoint.interval={args.pretrain_iters}',
         f'custom_hooks.0.interval={args.pretrain_iters}', f'{hook_ds}={raw}'],
        osp.join(run_dir, 'pretrain.log'), f'1/3 pretraining CrevNet ({args.pretrain_iters} iters)')
    ckpt = osp.join(pre_dir, f'iter_{args.pretrain_iters}.pth')

    data_opts = [f'{k}.dataset.data_root={obj}' for k in
                 ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    sched = [f'train_cfg.max_epochs={args.det_epochs}', f'train_cfg.val_interval={args.det_epochs}',
             f'default_hooks.checkpoint.interval={args.det_epochs}',
             f'param_scheduler.1.milestones=[{max(1, int(args.det_epochs * 0.75))}]']
    results = {}
    for name, cfg, extra in (
            ('crevnet_pretrained', 'configs/demo/ssd_demo.py',
             [f'model.backbone.init_cfg.checkpoint={ckpt}']),
            ('crevnet_random', 'configs/demo/ssd_demo_random.py', [])):
        wd = osp.join(run_dir, name)
        step = '2/3' if name == 'crevnet_pretrained' else '3/3'
        run(['tools/train.py', cfg, '--work-dir', wd, '--cfg-options'] + data_opts + sched + extra,
            osp.join(run_dir, f'{name}_train.log'), f'{step} training SSD on frozen {name}')
        det_ckpt = osp.join(wd, f'epoch_{args.det_epochs}.pth')
        test_dir = osp.join(run_dir, f'{name}_test')
        run(['tools/test.py', cfg, det_ckpt, '--work-dir', test_dir, '--show-dir', 'vis',
             '--cfg-options'] + data_opts + extra, osp.join(run_dir, f'{name}_test.log'),
            f'evaluating {name}')
        results[name] = json.load(open(osp.join(test_dir, 'metrics.json')))

    from crevdet.evaluation.functional.kitti import CLASSES, DIFFICULTIES
    lines = ['', 'KITTI 2D AP (R40, official protocol) on the synthetic val split',
             '| entry | SSD + pretrained CrevNet | SSD + random CrevNet (control) |',
             '|---|---|---|']
    for cls in CLASSES:
        for d in DIFFICULTIES:
            key = f'kitti/{cls}_{d}_R40'
            vals = [results[n].get(key) for n in ('crevnet_pretrained', 'crevnet_random')]
            lines.append(f'| {cls} {d} | ' + ' | '.join('n/a' if v is None else f'{v:.2f}'
                                                       for v in vals) + ' |')
    for rule in ('R40', 'R11'):
        vals = [results[n].get(f'kitti/mAP_{rule}', float('nan'))
                for n in ('crevnet_pretrained', 'crevnet_random')]
        lines.append(f'| **mAP {rule}** | {vals[0]:.2f} | {vals[1]:.2f} |')
    table = '\n'.join(lines)
    print(table)
    with open(osp.join(run_dir, 'summary.md'), 'w') as f:
        f.write(table + '\n')
    json.dump(results, open(osp.join(run_dir, 'summary.json'), 'w'), indent=2)
    log(f'finished in {(time.time() - t_start) / 60:.1f} min. Outputs in {run_dir}: '
        'pretrain/vis_benchmark (video predictions), *_test/*/vis (detections), summary.md')


if __name__ == '__main__':
    main()
