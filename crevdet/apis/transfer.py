"""The detection-transfer table: what a pretraining run buys a detector, against the controls a
sceptical reviewer asks for. Used by ``tools/demo.py`` and
``tools/analysis_tools/transfer_table.py``.

Every entry trains the same detector config with the same schedule and evaluates it with
``tools/test.py`` (KITTI AP, official protocol); only the backbone differs:

==========================  ==============================================================
``pretrained``              the pretraining checkpoint, frozen, learned masks
``random`` (a)              the same network at its random initialisation, frozen
``random_frame_diff`` (b)   (a) with hand-made masks ``|target - previous|`` pooled to the
                            stride (``model.backbone.masks='frame_diff'``)
``pretrained_no_masks`` (c) the pretrained backbone with its masks zeroed
``scratch`` (d)             the same detector trained end to end from its random
                            initialisation (backbone not frozen) for the wall-clock the
                            pretrained entry took in all (pretraining + detector training)
``finetuned`` (e)           the pretrained backbone trained end to end with the detector,
                            on the detector's own schedule (the epochs of the frozen entries)
``finetuned_lr`` (f)        (e) as a detection user fine-tunes: the backbone at a tenth of
                            the learning rate (``paramwise_cfg`` ``lr_mult``), after the
                            detector's linear warm-up, on the same schedule
==========================  ==============================================================

Each detector run gets its own config written into the run folder (``<name>.py``, the
detection config with that entry's changes), so every number can be reproduced with
``tools/train.py <run>/<name>.py`` and ``tools/test.py``.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional

from mmengine.config import Config

from crevdet.paths import REPO_ROOT, resolve_config

#: entry -> (short label for tables, what it is)
ENTRIES = {
    'pretrained': ('pretrained', 'pretrained backbone, frozen, learned masks'),
    'random': ('(a) random', 'random frozen backbone'),
    'random_frame_diff': ('(b) random + frame-diff masks',
                          'random frozen backbone, hand-made |target - previous| masks'),
    'pretrained_no_masks': ('(c) pretrained, masks zeroed',
                            'pretrained frozen backbone, masks set to zero'),
    'scratch': ('(d) scratch, end to end',
                'random backbone trained end to end with the detector, same wall-clock'),
    'finetuned': ('(e) pretrained, fine-tuned end to end',
                  'pretrained backbone trained end to end with the detector, same schedule'),
    'finetuned_lr': ('(f) pretrained, fine-tuned, backbone lr x0.1',
                     'pretrained backbone fine-tuned at a tenth of the head\'s learning rate '
                     "(mmdet's paramwise_cfg backbone lr_mult) after the detector's warm-up"),
}
CONTROLS = ('random', 'random_frame_diff', 'pretrained_no_masks', 'scratch', 'finetuned',
            'finetuned_lr')
#: the backbone's learning-rate multiplier of entry (f), as mmdet's fine-tuning configs set it
BACKBONE_LR_MULT = 0.1


def repo_config(path: str) -> str:
    """A config as the tools run it here: ``crevdet::`` names resolved, other relative paths
    taken from the repository root (the runs' working directory)."""
    return osp.join(REPO_ROOT, resolve_config(path))


class ToolFailed(RuntimeError):
    """A training or test run exited with an error; the message names its log."""


# the package entry points the experiment API starts (never a script of tools/)
TRAIN = ['-m', 'crevdet.cli.train']
TEST = ['-m', 'crevdet.cli.test']


def run_tool(args: List[str], log_file: str, what: str, log: Callable[[str], None] = print
             ) -> float:
    """Run ``python <args>`` from the repository root, ``args`` starting with ``-m <module>``
    (a package entry point: :data:`TRAIN`, :data:`TEST`) or ``-c <code>``; progress lines to
    ``log``, everything to ``log_file``. Returns the wall-clock seconds it took; a failed run
    raises :class:`ToolFailed` naming its log. A script path is refused: the library runs
    package modules, which an installed crevdet has too, not the scripts of ``tools/``."""
    if not args or args[0] not in ('-m', '-c'):
        raise ValueError(f'run_tool runs `python -m <module>` or `python -c <code>`, got '
                         f'{args[:1]}: start crevdet.cli.train / crevdet.cli.test (TRAIN, TEST), '
                         'not a script')
    log(f'{what} (log: {log_file})')
    stage = what.split(' (')[0][:40]
    t0 = time.time()
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    with open(log_file, 'w') as f:
        proc = subprocess.Popen([sys.executable] + args, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=env)
        for line in proc.stdout:
            f.write(line)
            if 'Iter(train)' in line or 'Epoch(train)' in line or 'benchmark ' in line:
                # every progress line says its stage (the caller's log adds the time)
                log(f'    [{stage}] ' + line.split(' - mmengine - INFO - ')[-1].rstrip()[:130])
        if proc.wait():
            raise ToolFailed(f'{what} failed (exit {proc.returncode}); see {log_file}')
    seconds = time.time() - t0
    # wall-clock budgets (entry (d)) are only fair on a machine nothing else loads: say how
    # loaded it was, so a reader of the log can tell
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    log(f'{what}: done in {seconds:.0f} s (load average {load:.1f} on {os.cpu_count()} cores)')
    return seconds


def budget_minutes(entry: str, pretrain_seconds: float, detector_seconds: float
                   ) -> Optional[float]:
    """The wall-clock budget of the time-budgeted entry (d): pretraining + the pretrained
    entry's detector training. None for the others (they train on the detector's schedule)."""
    if entry == 'scratch':
        return (pretrain_seconds + detector_seconds) / 60
    return None


def detector_schedule(epochs: int, seed: int, ann_file: Optional[str] = None,
                      scale: float = 1.0) -> dict:
    """``--cfg-options`` of a detector schedule for the transfer table: ``epochs`` passes over
    the full training split, the step decay after 2/3 of them, no validation while training
    (``tools/test.py`` evaluates the final model right after). With a labelled subset
    (``ann_file``, e.g. ``ImageSets/train_40.txt``) ``scale`` (full / subset size) multiplies
    the epochs, so every run takes the same number of iterations whatever the number of
    labels."""
    epochs = max(1, round(epochs * scale))
    opts = {'train_cfg.max_epochs': epochs, 'train_cfg.val_begin': epochs + 1,
            'default_hooks.checkpoint.interval': epochs,
            'param_scheduler.1.milestones': [max(1, round(epochs * 2 / 3))],
            'randomness.seed': seed}
    if ann_file:
        opts['train_dataloader.dataset.ann_file'] = ann_file
    return opts


def pretrain_options(cfg: Config, raw_root: str, iters: int, every: int, seed: int) -> list:
    """--cfg-options of a pretraining run of the loaded config ``cfg``: data roots (dataloaders
    and the benchmark hook's datasets, where the config has them), length, checkpoints every
    ``every`` iterations (all kept), the benchmark hook once at the end, no validation loop."""
    opts = [f'train_cfg.max_iters={iters}', f'default_hooks.checkpoint.interval={every}',
            'default_hooks.checkpoint.max_keep_ckpts=-1', f'randomness.seed={seed}',
            f'train_cfg.val_begin={iters + 1}']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader):
            opts.append(f'{loader}.dataset.data_root={raw_root}')
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        if hook.get('type') == 'VideoPredictionBenchmarkHook':
            opts.append(f'custom_hooks.{i}.interval={iters}')
            for j, _ in enumerate(hook.get('datasets', [])):
                opts.append(f'custom_hooks.{i}.datasets.{j}.dataset.data_root={raw_root}')
    return opts


def entry_config(det_config: str, entry: str, checkpoint: Optional[str],
                 data_root: Optional[str] = None, options: Optional[dict] = None,
                 scratch_minutes: Optional[float] = None) -> Config:
    """The detection config of one table entry (see the module docstring)."""
    if entry not in ENTRIES:
        raise ValueError(f'unknown transfer-table entry {entry!r}; one of {list(ENTRIES)}')
    cfg = Config.fromfile(repo_config(det_config))
    if data_root:
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            cfg[loader].dataset.data_root = data_root
    if options:
        cfg.merge_from_dict(options)
    bb = cfg.model.backbone
    if entry in ('pretrained', 'pretrained_no_masks', 'finetuned', 'finetuned_lr'):
        if not checkpoint:
            raise ValueError(f'the {entry!r} entry needs the pretraining checkpoint')
        bb.init_cfg = dict(type='Pretrained', checkpoint=checkpoint)
    else:
        bb.init_cfg = None
    if entry == 'random_frame_diff':
        bb.masks = 'frame_diff'
    elif entry == 'pretrained_no_masks':
        bb.masks = 'zero'
    elif entry == 'finetuned':
        bb.frozen = False
    elif entry == 'finetuned_lr':
        bb.frozen = False
        paramwise = dict(cfg.optim_wrapper.get('paramwise_cfg') or {})
        keys = dict(paramwise.get('custom_keys') or {})
        keys['backbone'] = dict(lr_mult=BACKBONE_LR_MULT)
        paramwise['custom_keys'] = keys
        cfg.optim_wrapper.paramwise_cfg = paramwise
        if not any(s.get('type') == 'LinearLR' for s in cfg.param_scheduler):
            raise ValueError(f'{det_config}: entry (f) fine-tunes after the detector\'s warm-up, '
                             'and its param_scheduler has no LinearLR')
    elif entry == 'scratch':
        if not scratch_minutes:
            raise ValueError("the 'scratch' entry needs its wall-clock budget (scratch_minutes)")
        bb.frozen = False
        epochs = cfg.train_cfg.max_epochs
        decay = [s for s in cfg.param_scheduler if s.get('type') == 'MultiStepLR']
        decay_at = min(decay[0].milestones) / epochs if decay else None
        decay_at = decay_at if decay_at is not None and decay_at < 1 else None
        gamma = decay[0].get('gamma', 0.1) if decay else 0.1
        # the length is a time: epochs unbounded, the step decay at the same share of the run
        cfg.param_scheduler = [s for s in cfg.param_scheduler if s.get('type') != 'MultiStepLR']
        cfg.train_cfg.max_epochs = 10 ** 4
        cfg.train_cfg.val_begin = 10 ** 5
        cfg.default_hooks.checkpoint.interval = 10 ** 5
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(
            type='TrainTimeBudgetHook', minutes=scratch_minutes, lr_decay_at=decay_at,
            lr_decay_gamma=gamma)]
    return cfg


def newest(pattern: str, what: str) -> str:
    found = sorted(glob.glob(pattern), key=osp.getmtime)
    if not found:
        raise ToolFailed(f'no {what} ({pattern})')
    return found[-1]


def train_and_test(cfg: Config, run_dir: str, name: str, log=print) -> dict:
    """Train a detection config in ``<run_dir>/<name>``, test its final checkpoint (its
    ``detections.json`` in ``<run_dir>/<name>_test``); returns the metrics plus
    ``train_seconds``."""
    cfg_path = osp.join(run_dir, f'{name}.py')
    cfg.dump(cfg_path)
    wd = osp.join(run_dir, name)
    secs = run_tool(TRAIN + [cfg_path, '--work-dir', wd],
                    osp.join(run_dir, f'{name}_train.log'), f'training the detector: {name}', log)
    ckpt = newest(osp.join(wd, '*.pth'), f'checkpoint of {name}')
    test_dir = osp.join(run_dir, f'{name}_test')
    run_tool(TEST + [cfg_path, ckpt, '--work-dir', test_dir, '--show-dir', 'vis',
              '--dump-detections', osp.join(test_dir, 'detections.json')],
             osp.join(run_dir, f'{name}_test.log'), f'evaluating {name}', log)
    metrics = json.load(open(newest(osp.join(test_dir, '*', 'metrics.json'),
                                    f'metrics.json of {name}')))
    metrics['train_seconds'] = secs
    metrics['checkpoint'] = ckpt
    return metrics


def transfer_table(results: Dict[str, dict], title: str = '') -> str:
    """Markdown: KITTI AP R40 per class and difficulty, mAP R40 / R11, one column per entry,
    then the pretrained entry's margin over each control."""
    from crevdet.evaluation.functional.kitti import CLASSES, DIFFICULTIES
    names = [n for n in ENTRIES if n in results] + [n for n in results if n not in ENTRIES]
    label = lambda n: ENTRIES[n][0] if n in ENTRIES else n  # noqa: E731
    fmt = lambda v: 'n/a' if v is None else f'{v:.2f}'  # noqa: E731
    lines = [title] if title else []
    lines += ['| KITTI AP R40 | ' + ' | '.join(label(n) for n in names) + ' |',
              '|---|' + '---:|' * len(names)]
    for cls in CLASSES:
        for d in DIFFICULTIES:
            lines.append(f'| {cls} {d} | ' + ' | '.join(
                fmt(results[n].get(f'kitti/{cls}_{d}_R40')) for n in names) + ' |')
    for rule in ('R40', 'R11'):
        lines.append(f'| **mAP {rule}** | ' + ' | '.join(
            fmt(results[n].get(f'kitti/mAP_{rule}')) for n in names) + ' |')
    lines.append('| detector training, s | ' + ' | '.join(
        fmt(results[n].get('train_seconds')) for n in names) + ' |')
    if 'pretrained' in results:
        p = results['pretrained'].get('kitti/mAP_R40')
        margins = [f"{label(n)}: **{p - results[n]['kitti/mAP_R40']:+.2f}**" for n in names
                   if n != 'pretrained' and results[n].get('kitti/mAP_R40') is not None]
        if margins and p is not None:
            lines.append('')
            lines.append('pretrained minus each control (mAP R40): ' + '; '.join(margins))
    return '\n'.join(lines)
