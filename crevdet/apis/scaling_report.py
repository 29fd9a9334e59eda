"""The scaling study's report (``tools/analysis_tools/scaling.py``): from its finished cells, the
margin of each pretrained detector over the controls of its training seed, with paired
bootstrap intervals over the held-out images, as JSON, Markdown and a figure.

A cell is one detector tested on the study's held-out images; ``cell.json`` (written last, so
an interrupted cell has none) holds::

    {'entry': 'pretrained' | 'finetuned_lr' | 'random' | 'random_frame_diff' | 'scratch',
     'seed': S,
     'video': V or None, 'iters': I or None, 'metrics': {'kitti/mAP_R40': ..., ...},
     'detections': 'test/detections.json', 'train_seconds': ..., 'machine': {...}}

Every detector of one seed is compared on the same bootstrap draws of the images (paired); each
detector's metric on the draws is computed once and kept beside its cell
(``boot_<n>_<seed>.npy``).
"""
import glob
import json
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np

from crevdet.evaluation.functional.kitti_interval import bootstrap_draws, metric_on_draws
from crevdet.evaluation.metrics.kitti_metric import load_detections

KEY = 'kitti/mAP_R40'
CONTROLS = {'random': '(a) random', 'random_frame_diff': '(b) random + frame-diff masks',
            'scratch': '(d) scratch, end to end'}


def load_cells(study_dir: str) -> List[dict]:
    """Every finished cell of the study (``cells/*/cell.json``), each with its folder."""
    cells = []
    for path in sorted(glob.glob(osp.join(study_dir, 'cells', '*', 'cell.json'))):
        cell = json.load(open(path))
        cell['dir'] = osp.dirname(path)
        cells.append(cell)
    return cells


def boot_metric(cell: dict, n_boot: int, seed: int = 0) -> np.ndarray:
    """``(n_boot,)``: the cell's mAP R40 on each bootstrap draw of its held-out images (the
    same draws for every cell with as many images), cached beside the cell."""
    cache = osp.join(cell['dir'], f'boot_{n_boot}_{seed}.npy')
    if osp.isfile(cache):
        return np.load(cache)
    d = load_detections(osp.join(cell['dir'], cell['detections']))
    draws = bootstrap_draws(len(d['gt']), n_boot, seed)
    values = metric_on_draws(d['gt'], d['det'], draws, d['classes'], KEY.split('/')[1])
    np.save(cache + '.tmp.npy', values)
    os.replace(cache + '.tmp.npy', cache)
    return values


def _paired(a: dict, b: dict, n_boot: int, level: float) -> dict:
    """``a``'s mAP minus ``b``'s with its central ``level`` paired bootstrap interval (the same
    draws of the same images)."""
    diff = boot_metric(a, n_boot) - boot_metric(b, n_boot)
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    return dict(change=a['metrics'][KEY] - b['metrics'][KEY],
                interval=[float(np.percentile(diff, lo)), float(np.percentile(diff, hi))])


def margins(cells: List[dict], n_boot: int = 200, level: float = 0.9) -> List[dict]:
    """One row per pretrained cell whose seed has its controls: its mAP, the controls', and
    the margin over each control with its central ``level`` bootstrap interval."""
    controls = {(c['seed'], c['entry']): c for c in cells if c['entry'] in CONTROLS}
    rows = []
    for cell in sorted((c for c in cells if c['entry'] == 'pretrained'),
                       key=lambda c: (c['video'], c['seed'], c['iters'])):
        row = dict(video=cell['video'], seed=cell['seed'], iters=cell['iters'],
                   pretrained=cell['metrics'][KEY])
        for entry in CONTROLS:
            ctrl = controls.get((cell['seed'], entry))
            if ctrl is None:
                continue
            row[entry] = ctrl['metrics'][KEY]
            paired = _paired(cell, ctrl, n_boot, level)
            row[f'margin_{entry}'], row[f'interval_{entry}'] = paired['change'], paired['interval']
        rows.append(row)
    return rows


def readings(cells: List[dict], n_boot: int = 200, level: float = 0.9) -> Dict[str, list]:
    """The protocol's two readings, per training seed, as paired differences (the controls
    cancel): ``longer``: per (video, seed), the longest pretraining minus the shortest;
    ``more_video``: per (seed, iterations), the most video minus the least."""
    pre = {(c['video'], c['seed'], c['iters']): c for c in cells if c['entry'] == 'pretrained'}
    out = dict(longer=[], more_video=[])
    for video, seed in sorted({(v, s) for v, s, _ in pre}):
        its = sorted(i for v, s, i in pre if (v, s) == (video, seed))
        if len(its) > 1:
            out['longer'].append(dict(video=video, seed=seed, first=its[0], last=its[-1], **_paired(
                pre[(video, seed, its[-1])], pre[(video, seed, its[0])], n_boot, level)))
    for seed, iters in sorted({(s, i) for _, s, i in pre}):
        vids = sorted(v for v, s, i in pre if (s, i) == (seed, iters))
        if len(vids) > 1:
            out['more_video'].append(dict(seed=seed, iters=iters, least=vids[0], most=vids[-1],
                                          **_paired(pre[(vids[-1], seed, iters)],
                                                    pre[(vids[0], seed, iters)], n_boot, level)))
    return out


def _fmt_paired(change: float, interval: List[float]) -> str:
    """A paired difference and its interval as the report's tables print it."""
    return f'{change:+.2f} [{interval[0]:+.1f}, {interval[1]:+.1f}]'


#: the pretrained entries read against (d), by their report names
AGAINST_SCRATCH = {'pretrained': 'frozen', 'finetuned_lr': 'fine-tuned, backbone lr x0.1'}


def against_scratch(cells: List[dict], video: int, iters: int, n_boot: int = 200,
                    level: float = 0.9) -> List[dict]:
    """Per training seed with a (d) or an (f) cell: each pretrained entry on the checkpoint of
    ``video`` frames and ``iters`` iterations (frozen; fine-tuned where the study has it) minus
    (d) at the same wall-clock (where the seed has it), and minus (b), with paired
    intervals."""
    by = {(c['seed'], c['entry'], c.get('video'), c.get('iters')): c for c in cells}
    rows = []
    for seed in sorted({c['seed'] for c in cells if c['entry'] in ('scratch', 'finetuned_lr')}):
        scratch = by.get((seed, 'scratch', None, None))
        for entry, name in AGAINST_SCRATCH.items():
            cell = by.get((seed, entry, video, iters))
            if cell is None:
                continue
            row = dict(seed=seed, entry=entry, name=name, mAP=cell['metrics'][KEY])
            if scratch is not None:
                row.update(scratch=scratch['metrics'][KEY],
                           budget_minutes=scratch.get('budget_minutes'),
                           **_paired(cell, scratch, n_boot, level))
            ctrl = by.get((seed, 'random_frame_diff', None, None))
            if ctrl is not None:
                b = _paired(cell, ctrl, n_boot, level)
                row['over_b'], row['over_b_interval'] = b['change'], b['interval']
            rows.append(row)
    return rows


def _against_scratch_markdown(rows: List[dict], video: int, iters: int) -> List[str]:
    if not rows:
        return []
    lines = ['', f'Pretrained entries on the checkpoint of {video} frames and {iters} iterations, '
             'against (d) scratch at the same wall-clock ((d) gets that pretraining plus the '
             'longest of its detector trainings) and (b):', '',
             '| seed | entry | mAP | (d) scratch | (d) budget, min | minus (d) | minus (b) |',
             '|---:|---|---:|---:|---:|---:|---:|']
    for r in rows:
        budget = 'n/a' if r.get('budget_minutes') is None else f"{r['budget_minutes']:.0f}"
        over_b = _fmt_paired(r['over_b'], r['over_b_interval']) if 'over_b' in r else 'n/a'
        over_d = _fmt_paired(r['change'], r['interval']) if 'change' in r else 'n/a'
        d = f"{r['scratch']:.2f}" if 'scratch' in r else 'n/a'
        lines.append(f"| {r['seed']} | {r['name']} | {r['mAP']:.2f} | {d} | {budget} | {over_d} "
                     f'| {over_b} |')
    lines.append('')
    for entry, name in AGAINST_SCRATCH.items():
        mine = [r for r in rows if r['entry'] == entry and 'change' in r]
        if mine:
            lines.append(f'{name}: at least (d) in {sum(r["change"] >= 0 for r in mine)} of '
                         f'{len(mine)} seeds; interval above 0 in '
                         f'{sum(r["interval"][0] > 0 for r in mine)}.')
    return lines


# (key of readings(), heading, table head, one row's cells)
_READINGS = (
    ('longer', 'Longer pretraining (paired: the longest minus the shortest, same seed and video; '
     'the controls cancel):', '| video frames | seed | iterations |',
     lambda r: f"| {r['video']} | {r['seed']} | {r['first']} -> {r['last']} |"),
    ('more_video', 'More video (paired: the most minus the least, same seed and iterations):',
     '| seed | pretraining iters | video frames |',
     lambda r: f"| {r['seed']} | {r['iters']} | {r['least']} -> {r['most']} |"),
)


def _readings_markdown(found: Dict[str, list]) -> List[str]:
    lines = []
    for key, heading, head, cells in _READINGS:
        if found[key]:
            lines += ['', heading, '', head + ' change of mAP (= of the margin) |',
                      '|' + '---:|' * (head.count('|') - 1) + '---:|']
            lines += [f"{cells(r)} {_fmt_paired(r['change'], r['interval'])} |"
                      for r in found[key]]
    return lines


def _fmt_margin(row: dict, entry: str) -> str:
    if f'margin_{entry}' not in row:
        return 'n/a'
    return _fmt_paired(row[f'margin_{entry}'], row[f'interval_{entry}'])


def markdown(rows: List[dict], spec: dict, n_images: Optional[int], n_boot: int,
             level: float = 0.9, found: Optional[Dict[str, list]] = None,
             scratch_rows: Optional[List[dict]] = None) -> str:
    """The study's table: one line per (video, seed, pretraining iterations), then the mean
    margin over (b) across seeds per (video, iterations)."""
    world = spec['world']
    lines = [f"Scaling study: {world['camera']} camera, data seed {world['data_seed']}, "
             f"{spec['labels']} labels, SSD schedule of {spec['det_epochs']} epochs' worth of "
             f"iterations; mAP R40 on {n_images or '?'} held-out images; margins with "
             f'{level:.0%} paired bootstrap intervals ({n_boot} draws over the images).', '']
    # (d) only where a study has it: the tables of (a)/(b)-only studies stay as they were
    shown = [e for e in CONTROLS if e != 'scratch' or any('scratch' in r for r in rows)]
    heads = {'random': '(a) random', 'random_frame_diff': '(b) random + frame-diff',
             'scratch': '(d) scratch'}
    lines += ['| video frames | seed | pretraining iters | pretrained | ' +
              ' | '.join(heads[e] for e in shown) + ' | ' +
              ' | '.join(f'minus {heads[e].split()[0]}' for e in shown) + ' |',
              '|---:|---:|---:|---:|' + '---:|' * (2 * len(shown))]
    fmt = lambda v: 'n/a' if v is None else f'{v:.2f}'  # noqa: E731
    for r in rows:
        lines.append(f"| {r['video']} | {r['seed']} | {r['iters']} | {fmt(r['pretrained'])} | "
                     + ' | '.join(fmt(r.get(e)) for e in shown) + ' | '
                     + ' | '.join(_fmt_margin(r, e) for e in shown) + ' |')
    means = defaultdict(list)
    for r in rows:
        if 'margin_random_frame_diff' in r:
            means[(r['video'], r['iters'])].append((r['seed'], r['margin_random_frame_diff']))
    if means:
        lines += ['', '| video frames | pretraining iters | seeds | margin over (b), mean | '
                  'min | max |', '|---:|---:|---|---:|---:|---:|']
        for (video, iters), vals in sorted(means.items()):
            m = [v for _, v in vals]
            lines.append(f"| {video} | {iters} | {', '.join(str(s) for s, _ in vals)} | "
                         f'{np.mean(m):+.2f} | {min(m):+.2f} | {max(m):+.2f} |')
    return '\n'.join(lines + _readings_markdown(found or dict(longer=[], more_video=[]))
                     + _against_scratch_markdown(scratch_rows or [], max(spec['video_frames']),
                                                 max(spec['iters'])))


def plot(rows: List[dict], path: str, title: str) -> None:
    """Margin over (b) against pretraining iterations: one colour per amount of video, one
    marker per training seed (thin, with its bootstrap interval), the mean across seeds
    thick."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = [r for r in rows if 'margin_random_frame_diff' in r]
    fig, ax = plt.subplots(figsize=(7.5, 5))
    videos = sorted({r['video'] for r in rows})
    seeds = sorted({r['seed'] for r in rows})
    markers = 'osD^v<>p'
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    for vi, video in enumerate(videos):
        colour = colours[vi % len(colours)]
        by_iter = defaultdict(list)
        for si, seed in enumerate(seeds):
            pts = sorted((r for r in rows if r['video'] == video and r['seed'] == seed),
                         key=lambda r: r['iters'])
            if not pts:
                continue
            x = np.array([r['iters'] for r in pts], float) * (1 + 0.03 * (si - 1))  # dodge
            y = np.array([r['margin_random_frame_diff'] for r in pts])
            err = np.array([[v - r['interval_random_frame_diff'][0],
                             r['interval_random_frame_diff'][1] - v]
                            for v, r in zip(y, pts)]).T
            ax.errorbar(x, y, yerr=err, color=colour, marker=markers[si % len(markers)], ms=4,
                        lw=0.8, alpha=0.55, capsize=2,
                        label=f'{video} frames, seed {seed}')
            for r in pts:
                by_iter[r['iters']].append(r['margin_random_frame_diff'])
        xs = sorted(by_iter)
        ax.plot(xs, [np.mean(by_iter[x]) for x in xs], color=colour, lw=2.5,
                label=f'{video} frames, mean of seeds')
    ax.axhline(0, color='k', lw=0.8)
    ax.set_xscale('log')
    ax.minorticks_off()  # the log axis' own minor labels (2x10^2, ...) would cover the ticks
    iters = sorted({r['iters'] for r in rows})
    ax.set_xticks(iters)
    ax.set_xticklabels([str(i) for i in iters])
    ax.set_xlabel('pretraining iterations')
    ax.set_ylabel('mAP R40: pretrained minus (b) random + frame-diff masks')
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(study_dir: str, spec: dict, n_boot: int = 200, level: float = 0.9
                 ) -> Dict[str, object]:
    """``scaling.json``, ``scaling.md`` and (when a pretrained cell has its (b)) ``scaling.png``
    in ``study_dir``; returns the JSON's content."""
    cells = load_cells(study_dir)
    rows = margins(cells, n_boot, level)
    n_images = None
    for c in cells:
        n_images = c.get('n_images') or n_images
    found = readings(cells, n_boot, level)
    vs_d = against_scratch(cells, max(spec['video_frames']), max(spec['iters']), n_boot, level)
    table = markdown(rows, spec, n_images, n_boot, level, found, vs_d)
    out = dict(spec=spec, n_boot=n_boot, level=level, n_images=n_images, rows=rows, **found,
               against_scratch=vs_d,
               cells=[{k: v for k, v in c.items() if k != 'dir'} for c in cells])
    with open(osp.join(study_dir, 'scaling.json'), 'w') as f:
        json.dump(out, f, indent=1)
    with open(osp.join(study_dir, 'scaling.md'), 'w') as f:
        f.write(table + '\n')
    if any('margin_random_frame_diff' in r for r in rows):
        world = spec['world']
        plot(rows, osp.join(study_dir, 'scaling.png'),
             f"{world['camera']} camera, data seed {world['data_seed']}, {spec['labels']} "
             f'labels, {n_images} held-out images; bars: {level:.0%} paired bootstrap')
    return out
