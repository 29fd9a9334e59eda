"""The scaling study: does what pretraining buys a detector grow with more unlabelled video and
longer pretraining?

    python tools/analysis_tools/scaling.py STUDY_DIR --data-seed 5 [--camera moving] \
        [--video-frames 240 2400] [--iters 80 320 640] [--seeds 0 1 2] [--heldout 600] \
        [--labels 40] [--det-epochs 6] [--finetune] [--scratch] [--boot 200] [--report-only]
        [--export DIR] [--verbose]
    python tools/analysis_tools/scaling.py STUDY_DIR --pause | --continue

On one synthetic world (``tools/demo.py``'s generator; one folder per amount of video, the same
labelled and held-out images in all of them), for each (amount of video, training seed) it
pretrains once (``--pretrain-config``, the demo's detection recipe) and keeps a checkpoint at
every iteration of ``--iters``; trains the frozen SSD (``--det-config``) on each checkpoint (a
*cell*); adds per training seed the controls (a) random frozen backbone and (b) random + hand-made
frame-difference masks (they see no video, so one each per seed); with ``--finetune`` entry (f),
the checkpoint of the most video and iterations fine-tuned as a detection user would (backbone
learning rate x0.1 after the warm-up); with ``--scratch`` control (d), end to end from random
weights at the pretrained entries' wall-clock; tests every detector on the
same ``--heldout`` images that nothing trains or chooses on. Writes ``STUDY_DIR/scaling.json``,
``scaling.md`` (one line per cell: mAP R40 and the margins over (a) and (b) with paired
bootstrap intervals) and ``scaling.png`` (margin over (b) against pretraining iterations, one
colour per amount of video, each seed shown).

Resumable: run the same command again. A finished cell (``cells/<name>/cell.json``) is kept,
not redone; an interrupted pretraining resumes from its newest checkpoint; an interrupted
detector starts again. The grid (``--video-frames``, ``--iters``, ``--seeds``) may grow between
runs; a folder holding another study (another world, labels, schedule or configs in
``study.json``) is refused. One progress line per cell with the elapsed time (``--verbose``:
every training log line as well). ``--report-only`` writes the report from the finished cells
and trains nothing.

``--pause`` stops the running study (to use the machine for something else) and ``--continue``
continues it; the paused time is left out of every run's recorded seconds, so the wall-clock
budget of control (d) does not grow with it (``crevdet/apis/study_pause.py``). Pausing while
(d) trains is refused: its budget is measured inside its training. Do not stop a study with
``kill -STOP``; stopping it for good (``kill``) is safe between checkpoints, but a pretraining
cut short loses the seconds of the run since it started (``pretrain/<run>.seconds.json``).

Cells run seed by seed (controls, then each amount of video from its pretraining up), so an
interrupted study has whole seeds first. Timings depend on the machine: each ``cell.json``
records the host, its CPU count and whether CUDA was visible.
"""
import argparse
import json
import os
import os.path as osp
import platform
import shutil
import sys
import time
from functools import reduce
from math import gcd

from crevdet.apis.heldout import evaluate_on_heldout, write_heldout_world
from crevdet.apis.scaling_report import write_report
from crevdet.apis.study_pause import (PauseError, clear_running, pause, paused_within,
                                      set_running, unpause)
from crevdet.apis.transfer import (TRAIN, ToolFailed, detector_schedule, entry_config, newest,
                                   pretrain_options, repo_config, run_tool)
from crevdet.apis.world import (VIDEO_FRAMES, WorldError, ensure_world, label_subset,
                                same_object_images)
from crevdet.datasets.synthetic_kitti import CAMERAS, RAW_FRAMES, frames_to_drives
from crevdet.cli.common import read_config
from crevdet.utils.json_file import write_json_atomic
from crevdet.utils.progress import ProgressLog

PRETRAIN_CONFIG = 'configs/demo/pretrain_demo.py'
DET_CONFIG = 'configs/demo/ssd_demo.py'
#: study.json fields that make a study: a folder holding other values is another study
IDENTITY = ('world', 'labels', 'heldout', 'det_epochs', 'pretrain_config', 'det_config')
#: study.json fields of the grid: they may grow between runs
GRID = ('video_frames', 'iters', 'seeds')
#: the controls every training seed gets: they see no video
PER_SEED = ('random', 'random_frame_diff')
#: study.json switches of the entries a study may add per seed (once on, kept)
ADDED_ENTRIES = ('finetune', 'scratch')


log = ProgressLog('scaling')


def parse_args(argv=None, raw_frames: int = RAW_FRAMES):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('study_dir', help='the study folder (new, or one of this study)')
    parser.add_argument('--data-seed', type=int,
                        help='the synthetic world (write the protocol down before its first '
                             'run); required but with --pause / --continue')
    parser.add_argument('--camera', default='moving', choices=CAMERAS)
    parser.add_argument('--video-frames', type=int, nargs='+', default=[VIDEO_FRAMES, 2400],
                        metavar='N', help='amounts of unlabelled video (multiples of 40, at '
                                          f'least {VIDEO_FRAMES}; default 240 2400)')
    parser.add_argument('--iters', type=int, nargs='+', default=[80, 320, 640], metavar='I',
                        help='pretraining iterations whose checkpoints get a detector (one '
                             'pretraining per amount of video and seed; default 80 320 640)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2], metavar='S',
                        help='training seeds (default 0 1 2)')
    parser.add_argument('--heldout', type=int, default=600, metavar='N',
                        help='held-out images every detector is tested on (default 600)')
    parser.add_argument('--labels', type=int, default=40,
                        help='labelled training images of the detectors (default 40)')
    parser.add_argument('--det-epochs', type=int, default=6,
                        help="the SSD schedule: this many epochs' worth of iterations of the "
                             'full training split (default 6, as the demo)')
    parser.add_argument('--pretrain-config', default=PRETRAIN_CONFIG)
    parser.add_argument('--det-config', default=DET_CONFIG)
    parser.add_argument('--finetune', action='store_true',
                        help='also entry (f) per seed: the checkpoint of the most video and the '
                             'largest --iters fine-tuned with the detector (backbone lr x0.1 '
                             "after the warm-up, mmdet's paramwise_cfg); once on, a study keeps "
                             'it')
    parser.add_argument('--scratch', action='store_true',
                        help='also control (d) per seed: the backbone trained end to end from '
                             "random weights with the detector, given the wall-clock of that "
                             "seed's pretraining (the most video, to the largest --iters) plus "
                             "the longer of that checkpoint's detector trainings (frozen, and "
                             "fine-tuned with --finetune; tools/demo.py's (d)); once on, a "
                             'study keeps it')
    parser.add_argument('--boot', type=int, default=200, help='bootstrap draws (default 200)')
    parser.add_argument('--report-only', action='store_true',
                        help='write the report from the finished cells; train nothing')
    parser.add_argument('--export', metavar='DIR',
                        help='copy the study record (study.json, the report, every finished '
                             "cell's cell.json and bootstrap values: a few KB each) into DIR; "
                             'copied back into a study folder, its cells count as finished')
    parser.add_argument('--verbose', action='store_true',
                        help='also every training log line of every run')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--pause', action='store_true',
                      help="stop the study running in STUDY_DIR; its runs' recorded seconds "
                           'leave the pause out (refused while control (d) trains)')
    mode.add_argument('--continue', dest='unpause', action='store_true',
                      help='continue the paused study of STUDY_DIR')
    args = parser.parse_args(argv)
    if args.pause or args.unpause:
        return args
    if args.data_seed is None:
        parser.error('the following arguments are required: --data-seed')
    for v in args.video_frames:
        try:
            frames_to_drives(v, raw_frames)
        except ValueError as e:
            parser.error(f'--video-frames: {e}')
    for name in ('iters', 'seeds'):
        if len(set(getattr(args, name))) != len(getattr(args, name)):
            parser.error(f'--{name}: a value is repeated')
    if min(args.iters) < 1 or args.heldout < 1 or args.labels < 1 or args.det_epochs < 1 \
            or args.boot < 1:
        parser.error('--iters, --heldout, --labels, --det-epochs and --boot must be >= 1')
    return args


def study_spec(args, world: dict) -> dict:
    """The study as ``study.json`` holds it (JSON types: a tuple becomes a list)."""
    world = dict(camera=args.camera, data_seed=args.data_seed, **world)
    return json.loads(json.dumps(dict(world=world,
                labels=args.labels, heldout=args.heldout, det_epochs=args.det_epochs,
                pretrain_config=args.pretrain_config, det_config=args.det_config,
                video_frames=sorted(args.video_frames), iters=sorted(args.iters),
                seeds=sorted(args.seeds), scratch=bool(args.scratch),
                finetune=bool(args.finetune))))


def open_study(study_dir: str, spec: dict, report_only: bool = False) -> dict:
    """The study of ``study_dir``: ``spec`` written into a new folder, or the folder's own
    study with its grid grown by ``spec``'s. Another study, a file, or a non-empty folder that
    is no study is refused (SystemExit naming the field)."""
    path = osp.join(study_dir, 'study.json')
    if osp.exists(study_dir) and not osp.isdir(study_dir):
        raise SystemExit(f'error: {study_dir} is a file, not a folder; pass a study folder')
    if not osp.isfile(path):
        if report_only:
            raise SystemExit(f'error: {path} not found: {study_dir} holds no study to report')
        if osp.isdir(study_dir) and os.listdir(study_dir):
            raise SystemExit(f'error: {study_dir} is not empty and holds no study.json; pass a '
                             'new folder or the folder of this study')
        os.makedirs(study_dir, exist_ok=True)
        write_json_atomic(path, spec)
        return spec
    try:
        found = json.load(open(path))
    except ValueError as e:
        raise SystemExit(f'error: {path} is not readable JSON ({e}); it is not a study of '
                         'this tool')
    for key in IDENTITY:
        if found.get(key) != spec[key] and not report_only:
            raise SystemExit(f'error: {study_dir} holds another study: its {key} is '
                             f'{found.get(key)!r}, this run asks for {spec[key]!r}. Pass '
                             'another folder (or the same options)')
    if report_only:
        return found
    merged = dict(found, **{k: sorted(set(found.get(k, [])) | set(spec[k])) for k in GRID},
                  **{k: bool(found.get(k)) or bool(spec.get(k)) for k in ADDED_ENTRIES})
    if merged != found:
        write_json_atomic(path, merged)
    return merged


def export(study_dir: str, out_dir: str) -> None:
    """Copy the study's record into ``out_dir``: what the report needs and a resumed study
    keeps (checkpoints, logs and detections stay in the study folder). A folder holding
    another study's record is refused."""
    import glob
    mine = json.load(open(osp.join(study_dir, 'study.json')))
    theirs = osp.join(out_dir, 'study.json')
    if osp.isfile(theirs) and any(json.load(open(theirs)).get(k) != mine.get(k)
                                  for k in IDENTITY):
        raise SystemExit(f'error: --export {out_dir} holds the record of another study')
    files = ['study.json'] + [f for f in ('scaling.json', 'scaling.md', 'scaling.png')
                              if osp.isfile(osp.join(study_dir, f))]
    for pattern in ('cells/*/cell.json', 'cells/*/boot_*.npy'):
        files += [osp.relpath(p, study_dir) for p in glob.glob(osp.join(study_dir, pattern))]
    for rel in files:
        os.makedirs(osp.dirname(osp.join(out_dir, rel)) or out_dir, exist_ok=True)
        shutil.copyfile(osp.join(study_dir, rel), osp.join(out_dir, rel))
    log(f'study record ({len(files)} files) copied to {out_dir}')


def machine() -> dict:
    import torch
    return dict(host=platform.node(), cpus=os.cpu_count(),
                cuda=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)


class Study:
    """The folders of one study and the runs that fill them."""

    def __init__(self, study_dir: str, spec: dict, verbose: bool = False) -> None:
        self.dir = osp.abspath(study_dir)
        self.spec = spec
        self.tool_log = log if verbose else (lambda msg: None)
        self.base_video = min(spec['video_frames'])

    def world_dir(self, video: int) -> str:
        return osp.join(self.dir, 'worlds', f'video{video}')

    def worlds(self, videos) -> tuple:
        """Write the worlds (once) and the held-out split; returns (the detectors' object
        root, the held-out object root). Every world has the same object images (checked)."""
        w = dict(self.spec['world'])
        camera, data_seed = w.pop('camera'), w.pop('data_seed')
        base = self.world_dir(self.base_video)
        for video in sorted(set(videos) | {self.base_video}):
            d = self.world_dir(video)
            t0 = time.time()
            try:
                wrote = ensure_world(d, camera, data_seed, video, self.tool_log, **w)
            except WorldError as e:
                raise SystemExit(f'error: {e}')
            if wrote:
                log(f'world with {video} frames of video written in {time.time() - t0:.0f} s '
                    f'({d})')
            if video != self.base_video and wrote:
                bad = same_object_images(osp.join(base, 'object'), osp.join(d, 'object'))
                if bad:
                    raise SystemExit(f'error: {bad}: the worlds of {self.base_video} and '
                                     f'{video} frames of video differ in their labelled images')
        heldout = osp.join(self.dir, 'worlds', f'heldout{self.spec["heldout"]}')
        t0 = time.time()
        existed = osp.isdir(heldout)
        obj = write_heldout_world(base, self.spec['heldout'], heldout)
        if not existed:
            log(f'{self.spec["heldout"]} held-out images written in {time.time() - t0:.0f} s')
        return osp.join(base, 'object'), obj

    def pretrain(self, video: int, seed: int) -> dict:
        """Pretrain once up to the largest of the study's iterations, a checkpoint at each;
        an interrupted run resumes from its newest checkpoint. Returns iters -> checkpoint."""
        iters = self.spec['iters']
        pre_dir = osp.join(self.dir, 'pretrain', f'video{video}_seed{seed}')
        ckpts = {i: osp.join(pre_dir, f'iter_{i}.pth') for i in iters}
        if all(osp.isfile(c) for c in ckpts.values()):
            return ckpts
        raw = osp.join(self.world_dir(video), 'raw', '')
        top = max(iters)
        opts = pretrain_options(read_config(repo_config(self.spec['pretrain_config'])), raw, top,
                                reduce(gcd, iters), seed)
        started = osp.isdir(pre_dir) and any(f.endswith('.pth') for f in os.listdir(pre_dir))
        args = TRAIN + [self.spec['pretrain_config'], '--work-dir', pre_dir]
        args += ['--resume'] if started else []
        os.makedirs(osp.dirname(pre_dir), exist_ok=True)
        secs = self.run(args + ['--cfg-options'] + opts, f'{pre_dir}.log',
                        f'pretraining video={video} seed={seed}')
        self._add_pretrain_seconds(pre_dir, secs)
        missing = [c for c in ckpts.values() if not osp.isfile(c)]
        if missing:
            raise ToolFailed(f'pretraining video={video} seed={seed} wrote no {missing[0]}; '
                             f'see {pre_dir}.log')
        log(f'pretraining video={video} seed={seed} to {top} iterations: '
            f'{"resumed, " if started else ""}{secs:.0f} s')
        return ckpts

    def run(self, args: list, log_file: str, what: str, budgeted: bool = False) -> float:
        """``run_tool`` with the study marked as running ``what`` (so ``--pause`` can stop
        it); returns the run's seconds without the time the study spent paused."""
        set_running(self.dir, what, budgeted)
        t0 = time.time()
        try:
            secs = run_tool(args, log_file, what, self.tool_log)
        finally:
            set_running(self.dir, None)
        paused = paused_within(self.dir, t0, time.time())
        if paused:
            log(f'{what}: {paused:.0f} s paused, left out of its {secs:.0f} s')
        return secs - paused

    @staticmethod
    def _add_pretrain_seconds(pre_dir: str, secs: float) -> None:
        """Add one run's wall-clock to the pretraining's total (``<pre_dir>.seconds.json``; a
        resumed pretraining adds each run)."""
        path = f'{pre_dir}.seconds.json'
        total = json.load(open(path))['seconds'] if osp.isfile(path) else 0.0
        write_json_atomic(path, dict(seconds=total + secs))

    def top_checkpoint_cells(self, seed: int) -> list:
        """Names of ``seed``'s cells on the checkpoint of the most video and the largest
        iterations: the frozen detector, and the fine-tuned one in a study with ``finetune``."""
        video, iters = max(self.spec['video_frames']), max(self.spec['iters'])
        return [f'video{video}_seed{seed}_iter{iters}'] + \
            ([f'finetuned_lr_seed{seed}'] if self.spec.get('finetune') else [])

    def scratch_minutes(self, seed: int) -> float:
        """The wall-clock budget of control (d) for ``seed``: the pretraining of the most video
        to the largest iterations plus the longest detector training on that checkpoint (frozen
        or fine-tuned), so (d) has at least the time of every pretrained entry it is read
        against."""
        video = max(self.spec['video_frames'])
        pre = osp.join(self.dir, 'pretrain', f'video{video}_seed{seed}.seconds.json')
        cells = [self.cell_file(name) for name in self.top_checkpoint_cells(seed)]
        for need in [pre] + cells:
            if not osp.isfile(need):
                raise SystemExit(f'error: control (d) of seed {seed} needs the wall-clock of its '
                                 f'pretraining ({pre}) and of its detectors ({", ".join(cells)}); '
                                 f'{need} is missing (a pretraining run before --scratch existed '
                                 'has no record of its time)')
        detector = max(json.load(open(c))['train_seconds'] for c in cells)
        return (json.load(open(pre))['seconds'] + detector) / 60

    def cell_file(self, name: str) -> str:
        """A cell's ``cell.json``: written last, so it exists once the cell is finished."""
        return osp.join(self.dir, 'cells', name, 'cell.json')

    def cell(self, name: str, entry: str, seed: int, checkpoint, objects: tuple,
             video=None, iters=None, scratch_minutes=None) -> tuple:
        """Train and test one detector unless its cell is finished; returns (cell, whether it
        was run now)."""
        cell_dir = osp.join(self.dir, 'cells', name)
        done = self.cell_file(name)
        if osp.isfile(done):
            return json.load(open(done)), False
        if osp.isdir(cell_dir):  # an interrupted detector: its own files, started again
            shutil.rmtree(cell_dir)
        os.makedirs(cell_dir)
        obj, heldout_obj = objects
        try:
            ann_file, n_train = label_subset(obj, self.spec['labels'])
        except WorldError as e:
            raise SystemExit(f'error: {e}')
        sched = detector_schedule(self.spec['det_epochs'], seed, ann_file,
                                  n_train / self.spec['labels'])
        cfg = entry_config(self.spec['det_config'], entry, checkpoint, osp.join(obj, ''), sched,
                           scratch_minutes=scratch_minutes)
        cfg_path = osp.join(cell_dir, f'{name}.py')
        cfg.dump(cfg_path)
        secs = self.run(TRAIN + [cfg_path, '--work-dir', osp.join(cell_dir, 'train')],
                        osp.join(cell_dir, 'train.log'), f'training {name}',
                        budgeted=entry == 'scratch')
        ckpt = newest(osp.join(cell_dir, 'train', '*.pth'), f'checkpoint of {name}')
        t0 = time.time()
        set_running(self.dir, f'testing {name}')
        metrics = evaluate_on_heldout(cfg_path, ckpt, heldout_obj, osp.join(cell_dir, 'test'),
                                      self.tool_log)
        set_running(self.dir, None)
        n_images = len(open(osp.join(heldout_obj, 'ImageSets', 'heldout.txt')).read().split())
        cell = dict(entry=entry, seed=seed, video=video, iters=iters, metrics=metrics,
                    detections='test/detections.json', n_images=n_images, train_seconds=secs,
                    test_seconds=time.time() - t0, checkpoint=checkpoint,
                    budget_minutes=scratch_minutes,
                    finished=time.strftime('%Y-%m-%d %H:%M:%S'), machine=machine())
        write_json_atomic(done, cell)
        return cell, True

    def plan(self) -> list:
        """(name, entry, seed, video, iters) of every cell, in the order they run."""
        out = []
        for seed in self.spec['seeds']:
            out += [(f'{entry}_seed{seed}', entry, seed, None, None) for entry in PER_SEED]
            for video in self.spec['video_frames']:
                out += [(f'video{video}_seed{seed}_iter{i}', 'pretrained', seed, video, i)
                        for i in self.spec['iters']]
            if self.spec.get('finetune'):
                out.append((f'finetuned_lr_seed{seed}', 'finetuned_lr', seed,
                            max(self.spec['video_frames']), max(self.spec['iters'])))
            if self.spec.get('scratch'):  # last: its budget is the pretrained cells' time
                out.append((f'scratch_seed{seed}', 'scratch', seed, None, None))
        return out


def main(argv=None, world: dict = None):
    """``world``: more generator arguments of the world (tests: a small ``size``,
    ``raw_frames``, ``det_train``, ``det_val``); part of the study's identity."""
    log.start()
    args = parse_args(argv, (world or {}).get('raw_frames', RAW_FRAMES))
    if args.pause or args.unpause:
        try:
            if args.pause:
                running = pause(args.study_dir)
                log(f'paused {args.study_dir} (it was running {running["what"]}); '
                    '--continue to go on')
            else:
                log(f'continued {args.study_dir} after {unpause(args.study_dir):.0f} s')
        except PauseError as e:
            raise SystemExit(f'error: {e}')
        return
    spec = open_study(args.study_dir, study_spec(args, dict(world or {})), args.report_only)
    study = Study(args.study_dir, spec, args.verbose)
    if args.report_only:
        write_report(study.dir, spec, args.boot)
        print(open(osp.join(study.dir, 'scaling.md')).read())
        if args.export:
            export(study.dir, args.export)
        return
    plan = study.plan()
    n_other = len(PER_SEED) + sum(bool(spec.get(k)) for k in ADDED_ENTRIES)
    log(f'study {study.dir}: {len(plan)} cells ({len(spec["seeds"])} seeds x ({n_other} '
        f'other entries + {len(spec["video_frames"])} amounts of video x {len(spec["iters"])} '
        'checkpoints))')
    set_running(study.dir, None)
    try:
        objects = study.worlds(spec['video_frames'])
        for k, (name, entry, seed, video, iters) in enumerate(plan, 1):
            ckpt = study.pretrain(video, seed)[iters] \
                if entry in ('pretrained', 'finetuned_lr') \
                and not osp.isfile(study.cell_file(name)) else None
            budget = study.scratch_minutes(seed) \
                if entry == 'scratch' and not osp.isfile(study.cell_file(name)) else None
            t0 = time.time()
            cell, ran = study.cell(name, entry, seed, ckpt, objects, video, iters, budget)
            mAP = cell['metrics'].get('kitti/mAP_R40')
            what = (f'done in {time.time() - t0:.0f} s (training {cell["train_seconds"]:.0f} s)'
                    if ran else 'finished before, kept')
            log(f'cell {k}/{len(plan)} {name}: held-out mAP R40 {mAP:.2f}; {what}')
            if ran:
                write_report(study.dir, spec, args.boot)
    except ToolFailed as e:
        raise SystemExit(f'error: {e}')
    finally:
        clear_running(study.dir)
    write_report(study.dir, spec, args.boot)
    if args.export:
        export(study.dir, args.export)
    log(f'all {len(plan)} cells finished; report: {study.dir}/scaling.md, scaling.png')
    print(open(osp.join(study.dir, 'scaling.md')).read())


if __name__ == '__main__':
    sys.exit(main())
