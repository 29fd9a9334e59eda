"""The main job: CrevNet pretraining -> frozen-backbone SSD -> KITTI AP, on embedded data.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-dir work_dirs/demo_data_moving]
                         [--camera moving|still|fast_pan|roll|keystone] [--seed 0]
                         [--data-seed 0] [--labels N]
                         [--controls [CONTROL ...]] [--methods srvp vqvae unet_rpm]
                         [--heldout N] [--video-frames N]

1. writes a deterministic synthetic driving world in both KITTI layouts (raw drives for
   pretraining, object images with prev_2 frames and label_2 files for detection), once; by
   default seen by a moving camera (ego-motion, parked objects; ``--camera still`` for the
   still one);
2. pretrains a small CrevNet of the detection recipe on the raw drives
   (configs/demo/pretrain_demo.py);
3. trains SSD on the frozen pretrained CrevNet (configs/demo/ssd_demo.py) and, as the control,
   on the same CrevNet left at its random initialisation (control (a));
4. evaluates both with the official KITTI protocol, draws detections, prints the AP table.
``--video-frames`` sets the frames of unlabelled video (default 240: 6 drives of 40; more
drives, the same labelled and held-out images). ``--labels`` sets how many of the world's
training images carry labels for the detectors (the first N of the split; the SSD schedule
keeps its number of iterations); ``--data-seed`` writes and uses another world.
``--controls`` adds the other controls of the transfer table (crevdet/apis/transfer.py):
(b) the random backbone with hand-made frame-difference masks, (c) the pretrained backbone with
its masks zeroed, (d) the same detector trained end to end from scratch for the wall-clock the
pretrained entry took in all, (e) the pretrained backbone fine-tuned end to end on the same
SSD schedule (about 25 more minutes; ``--controls scratch`` and so on for some of them).
``--methods`` adds other pretraining methods to the same comparison, each pretrained on the same
drives for the same iterations and detected with the same SSD (configs/demo/pretrain_<m>_demo.py,
configs/demo/ssd_<m>_demo.py): ``srvp`` (SRVP), ``vqvae`` (video VQ-VAE encoder), ``unet_rpm``
(the UNet + RPM ablation); about 9 more minutes each.
``--heldout N`` also tests every detector on N more images of the same world that nothing trained
or chose on (crevdet/apis/heldout.py; ``heldout.md`` in the run folder).
Every test also writes its ``detections.json`` (each image's ground truth and detections):
``tools/analysis_tools/map_interval.py`` gives a margin's bootstrap interval from two of them.
Every run writes to a new ``<work-dir>/<timestamp>/``; nothing earlier is overwritten.
About 12.5 minutes on 2 CPU cores with the defaults (80 pretraining iterations, 40 labelled
images, the SSD for 6 epochs' worth of iterations: 24 epochs of the 40).
"""
import argparse
import json
import os
import os.path as osp
import time

from crevdet.apis.transfer import (CONTROLS, TRAIN, ToolFailed, budget_minutes, detector_schedule,
                                   entry_config, run_tool, train_and_test, transfer_table)
from crevdet.apis.world import VIDEO_FRAMES, WorldError, ensure_world
from crevdet.apis.world import label_subset as world_label_subset
from crevdet.datasets.synthetic_kitti import CAMERAS, frames_to_drives
from crevdet.utils.progress import ProgressLog


# extra pretraining methods of --methods: name -> whether its pretraining config validates and
# runs the video benchmark hook (the VQ-VAE's stage 1 cannot predict yet, so it does not)
EXTRA_METHODS = {'srvp': True, 'vqvae': False, 'unet_rpm': True}

#: labelled training images of the detectors (--labels): a quarter of the 160, so the unlabelled
#: video (240 frames) is 6x the labels, as KITTI raw (~47k frames) is to KITTI object (7,481)
LABELS = 40


log = ProgressLog('demo')


def ensure_data(data_dir: str, camera: str, data_seed: int = 0,
                video_frames: int = VIDEO_FRAMES) -> None:
    """Write the demo world into ``data_dir`` once (crevdet.apis.world.ensure_world)."""
    def progress(done, total):
        if done % 100 == 0 or done == total:
            print(f'    {done}/{total} images', flush=True)
    try:
        ensure_world(data_dir, camera, data_seed, video_frames, log, progress)
    except WorldError as e:
        raise SystemExit(f'error: --data-dir {e}')


def world_dir(camera: str, data_seed: int = 0, video_frames: int = VIDEO_FRAMES) -> str:
    """The default folder of a demo world (relative to the repository root)."""
    return f'work_dirs/demo_data_{camera}' + (f'_seed{data_seed}' if data_seed else '') + (
        f'_video{video_frames}' if video_frames != VIDEO_FRAMES else '')


def label_subset(obj_root: str, n: int) -> tuple:
    """crevdet.apis.world.label_subset, its errors as the tool's."""
    try:
        return world_label_subset(obj_root, n)
    except WorldError as e:
        raise SystemExit(f'error: {e}')


def pretrain(method: str, raw: str, run_dir: str, iters: int, seed: int, what: str) -> tuple:
    """Pretrain one method on the raw drives; returns (its iter_N.pth, wall-clock seconds)."""
    pre_cfg = 'configs/demo/pretrain_demo.py' if method == 'crevnet' else \
        f'configs/demo/pretrain_{method}_demo.py'
    pre_dir = osp.join(run_dir, 'pretrain' if method == 'crevnet' else f'pretrain_{method}')
    opts = [f'train_dataloader.dataset.data_root={raw}',
            f'test_dataloader.dataset.data_root={raw}',
            f'train_cfg.max_iters={iters}',
            f'default_hooks.checkpoint.interval={iters}',
            f'randomness.seed={seed}']
    if EXTRA_METHODS.get(method, True):  # has a validation set and the benchmark hook
        hook_ds = 'custom_hooks.0.datasets.0.dataset.data_root'
        # no validation loop: the benchmark hook reports the same metrics (and copy-last) at
        # the end
        opts += [f'val_dataloader.dataset.data_root={raw}', f'train_cfg.val_begin={iters + 1}',
                 f'custom_hooks.0.interval={iters}', f'{hook_ds}={raw}']
    secs = run_tool(TRAIN + [pre_cfg, '--work-dir', pre_dir, '--cfg-options'] + opts,
                    osp.join(run_dir, f'pretrain_{method}.log'), what, log)
    return osp.join(pre_dir, f'iter_{iters}.pth'), secs


def heldout(results: dict, data_dir: str, n: int, run_dir: str, title: str) -> None:
    """--heldout: every entry's detector on ``n`` more images of the world (``heldout.md``)."""
    from crevdet.apis.heldout import WorldMismatch, evaluate_entries
    log(f'writing the world again with {n} held-out images to {data_dir}_heldout{n}')
    entries = {e: (osp.join(run_dir, f'{e}.py'), r['checkpoint']) for e, r in results.items()
               if isinstance(r, dict) and r.get('checkpoint')}
    try:
        _, held = evaluate_entries(entries, data_dir, n, f'{data_dir}_heldout{n}', run_dir,
                                   '_heldout', log)
    except (OSError, ValueError, WorldMismatch, ToolFailed) as e:
        raise SystemExit(f'error: {e}')
    for entry, metrics in held.items():
        metrics['train_seconds'] = results[entry].get('train_seconds')  # the same detector
    table = transfer_table(held, title.replace('the synthetic val split',
                                               f'{n} held-out images of the same world'))
    print(table)
    with open(osp.join(run_dir, 'heldout.md'), 'w') as f:
        f.write(table + '\n')
    json.dump(held, open(osp.join(run_dir, 'heldout.json'), 'w'), indent=2)


def main(argv=None):
    log.start()  # elapsed times count from this run, not from the import
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo', help='runs go to <work-dir>/<time>')
    parser.add_argument('--data-dir', default=None,
                        help='synthetic data folder, written once, then reused (default: '
                             'work_dirs/demo_data_<camera>)')
    parser.add_argument('--camera', default='moving', choices=CAMERAS,
                        help="the synthetic world's camera (default: a moving dashcam; "
                             'fast_pan, roll, keystone: other camera models, see '
                             'crevdet.datasets.synthetic_kitti.CAMERA_MODELS)')
    parser.add_argument('--pretrain-iters', type=int, default=80)
    parser.add_argument('--det-epochs', type=int, default=6)
    parser.add_argument('--seed', type=int, default=0,
                        help='training seed of every run (the synthetic data stay the same)')
    parser.add_argument('--data-seed', type=int, default=0,
                        help='the synthetic world (another seed: another world, written to '
                             'work_dirs/demo_data_<camera>_seed<N> by default)')
    parser.add_argument('--video-frames', type=int, default=VIDEO_FRAMES, metavar='N',
                        help=f'frames of unlabelled video in the world (default {VIDEO_FRAMES}: '
                             'drives of 40 frames, one of them the validation drive); more '
                             'video leaves the labelled and held-out images as they are')
    parser.add_argument('--labels', type=int, default=LABELS,
                        help=f'labelled training images the detectors train on (default '
                             f'{LABELS} of the 160; the rest of the world is unlabelled video)')
    parser.add_argument('--controls', nargs='*', default=None, choices=list(CONTROLS),
                        metavar='CONTROL',
                        help='also the other controls: all of them with no names, or those '
                             'named (random_frame_diff: (b) frame-difference masks, '
                             'pretrained_no_masks: (c) masks zeroed, scratch: (d) end to end from '
                             'scratch, finetuned: (e) the pretrained backbone fine-tuned end to '
                             'end on the same schedule, finetuned_lr: (f) the same with the '
                             "backbone at a tenth of the learning rate, mmdet's fine-tuning "
                             'convention); about 35 more minutes for all')
    parser.add_argument('--methods', nargs='*', default=[], choices=list(EXTRA_METHODS),
                        help='other pretraining methods to compare with CrevNet')
    parser.add_argument('--heldout', type=int, default=0, metavar='N',
                        help='also test every detector on N more images of the same world that '
                             'nothing trained or chose on (written once to '
                             '<data-dir>_heldout<N>; about 2 minutes per entry for 600): on '
                             "the val split's 60 images a margin spreads over ~10 mAP and mAP "
                             'is biased low')
    args = parser.parse_args(argv)
    if args.heldout < 0:
        parser.error(f'--heldout must be >= 0, got {args.heldout}')
    for name in ('pretrain_iters', 'det_epochs'):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    try:
        frames_to_drives(args.video_frames)
    except ValueError as e:
        parser.error(f'--video-frames: {e}')
    t_start = time.time()
    default_dir = world_dir(args.camera, args.data_seed, args.video_frames)
    data_dir = osp.abspath(args.data_dir or default_dir)
    if osp.exists(args.work_dir) and not osp.isdir(args.work_dir):
        parser.error(f'--work-dir {args.work_dir} is a file, not a folder; pass a folder (each '
                     'run writes a new <work-dir>/<time>/ folder in it)')
    run_dir = osp.abspath(osp.join(args.work_dir, time.strftime('%Y%m%d_%H%M%S')))
    os.makedirs(run_dir, exist_ok=False)
    ensure_data(data_dir, args.camera, args.data_seed, args.video_frames)
    raw, obj = osp.join(data_dir, 'raw') + '/', osp.join(data_dir, 'object') + '/'
    ann_file, n_train = label_subset(obj, args.labels)

    controls = CONTROLS if args.controls == [] else (args.controls or [])
    entries = ['pretrained', 'random'] + [c for c in CONTROLS[1:] if c in controls]
    n_steps = 1 + len(entries) + 2 * len(args.methods)
    step = iter(range(1, n_steps + 1))
    ckpts, pre_secs = {}, {}
    try:
        for method in ['crevnet'] + list(args.methods):
            ckpts[method], pre_secs[method] = pretrain(
                method, raw, run_dir, args.pretrain_iters, args.seed,
                f'{next(step)}/{n_steps} pretraining {method} ({args.pretrain_iters} iters)')
        sched = detector_schedule(args.det_epochs, args.seed, ann_file, n_train / args.labels)
        results = {}
        for entry in entries:
            budget = budget_minutes(entry, pre_secs['crevnet'],
                                    results['pretrained']['train_seconds']) \
                if entry == 'scratch' else None
            cfg = entry_config('configs/demo/ssd_demo.py', entry, ckpts['crevnet'], obj, sched,
                               budget)
            log(f'{next(step)}/{n_steps} detector: {entry}')
            results[entry] = train_and_test(cfg, run_dir, entry, log)
        for m in args.methods:
            cfg = entry_config(f'configs/demo/ssd_{m}_demo.py', 'pretrained', ckpts[m], obj,
                               sched)
            log(f'{next(step)}/{n_steps} detector: {m}_pretrained')
            results[f'{m}_pretrained'] = train_and_test(cfg, run_dir, f'{m}_pretrained', log)
    except ToolFailed as e:
        raise SystemExit(str(e))
    results['pretraining_seconds'] = pre_secs
    title = (f'KITTI 2D AP (R40, official protocol) on the synthetic val split; {args.camera} '
             f'camera, data seed {args.data_seed}, {args.video_frames} frames of video, '
             f'training seed {args.seed}, '
             f'{args.pretrain_iters} pretraining iterations, {args.labels} labelled images, '
             f'SSD schedule of {args.det_epochs} epochs of {n_train} images\n')
    table = transfer_table({k: v for k, v in results.items() if k != 'pretraining_seconds'},
                           title)
    print(table)
    with open(osp.join(run_dir, 'summary.md'), 'w') as f:
        f.write(table + '\n')
    json.dump(results, open(osp.join(run_dir, 'summary.json'), 'w'), indent=2)
    if args.heldout:
        heldout(results, data_dir, args.heldout, run_dir, title)
    log(f'finished in {(time.time() - t_start) / 60:.1f} min. Outputs in {run_dir}: '
        'pretrain/vis_benchmark (video predictions), *_test/*/vis (detections), summary.md')


if __name__ == '__main__':
    main()
