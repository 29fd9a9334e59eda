"""Test the detectors of finished demo / transfer-table runs on a held-out split of their
synthetic world: more images of the same world that no run, and no choice, looked at.

    python tools/analysis_tools/heldout_test.py RUN_DIR [RUN_DIR ...] [--images 600] \
        [--data-dir DIR] [--entries pretrained random ...]

RUN_DIR is a ``<work-dir>/<timestamp>/`` of ``tools/demo.py`` or
``tools/analysis_tools/transfer_table.py`` (its ``summary.json``, or ``results.json`` and
``sweep.json``, name each entry's final checkpoint; ``<entry>.py`` is its config). The world
the run's detectors were tested on is written again with ``--images`` more val images
(crevdet/apis/heldout.py checks the reproduction byte for byte), once, into ``--data-dir``
(default ``<world>_heldout<N>``, reused by later calls), and every entry's checkpoint is tested
there with ``tools/test.py``. Results go to a new
``RUN_DIR/heldout<N>_<timestamp>/`` (``summary.md``, ``summary.json``, one test folder per
entry with its ``detections.json`` for ``map_interval.py``); nothing of the run is changed.

The demo's val split has 60 images: on 60 images a margin spreads over ~10 mAP and mAP is
biased low (docs/benchmarks/detection_transfer.md, "How sure are the margins"). 600 held-out
images take about 2 minutes per entry on 2 CPU cores for the demo's SSD.
"""
import argparse
import json
import os.path as osp
import time

from crevdet.apis.heldout import WorldMismatch, evaluate_entries
from crevdet.apis.transfer import ENTRIES, ToolFailed
from crevdet.paths import REPO_ROOT
from crevdet.cli.common import check_work_dir, read_config, read_json_file
from crevdet.utils.progress import ProgressLog

CLASSES = ('Car', 'Pedestrian', 'Cyclist')


log = ProgressLog('heldout')


def run_entries(run_dir: str, wanted=None) -> dict:
    """entry -> (its config file, its checkpoint, its val metrics) from a finished run: a demo's
    ``summary.json``, or a transfer-table run's ``results.json`` and ``sweep.json`` (whose
    iterations are the entries ``pretrained_iter<N>``)."""
    summary = {}
    what = 'the results of a tools/demo.py or transfer_table.py run'  # a run killed mid-write
    for name in ('summary.json', 'results.json'):
        if osp.isfile(osp.join(run_dir, name)):
            summary.update(read_json_file(osp.join(run_dir, name), what))
    if osp.isfile(osp.join(run_dir, 'sweep.json')):
        summary.update({f'pretrained_iter{it}': res for it, res in
                        read_json_file(osp.join(run_dir, 'sweep.json'), what).items()})
    if not summary:
        raise SystemExit(f'error: no summary.json, results.json or sweep.json in {run_dir}: pass '
                         'the <timestamp> folder of a tools/demo.py or transfer_table.py run')
    found = {}
    for name, res in summary.items():
        cfg = osp.join(run_dir, f'{name}.py')
        if isinstance(res, dict) and res.get('checkpoint') and osp.isfile(cfg):
            if wanted and name not in wanted:
                continue
            if not osp.isfile(res['checkpoint']):
                raise SystemExit(f"error: {run_dir}: the checkpoint of {name!r}, "
                                 f"{res['checkpoint']}, is missing")
            found[name] = (cfg, res['checkpoint'], res)
    missing = sorted(set(wanted or ()) - set(found))
    if missing or not found:
        raise SystemExit(f'error: {run_dir} has no tested entry {missing or ""} with its config '
                         f'and checkpoint (entries with both: {sorted(found) or "none"})')
    return found


def _label(entry: str) -> str:
    return ENTRIES[entry][0] if entry in ENTRIES else entry


def _map(metrics: dict):
    return metrics.get('kitti/mAP_R40')


def table(results: dict, n: int, title: str) -> str:
    """Markdown: each entry's val mAP (as its run reported it) and held-out mAP and classes,
    then the pretrained entry's margins on both splits."""
    names = [e for e in ENTRIES if e in results] + [e for e in results if e not in ENTRIES]
    lines = [title, '', f'| entry | val mAP R40 | held-out ({n}) mAP R40 / R11 | '
             'held-out Car / Ped / Cyc moderate R40 |', '|---|---:|---:|---|']
    for e in names:
        val, held = results[e]['val'], results[e]['heldout']
        mod = ' / '.join(f"{held[f'kitti/{c}_moderate_R40']:.2f}" for c in CLASSES)
        lines.append(f"| {_label(e)} | {_map(val) or float('nan'):.2f} | {_map(held):.2f} / "
                     f"{held['kitti/mAP_R11']:.2f} | {mod} |")
    if 'pretrained' in results:
        for split, key in (('val', 'val'), (f'held-out ({n})', 'heldout')):
            p = _map(results['pretrained'][key])
            margins = [f'{_label(e)} {p - _map(results[e][key]):+.2f}' for e in names
                       if e != 'pretrained' and _map(results[e][key]) is not None]
            if p is not None and margins:
                lines.append(f'\npretrained minus each control, {split}, mAP R40: '
                             + '; '.join(margins))
    return '\n'.join(lines)


def across_runs(per_run: dict, n: int) -> str:
    """One row per run: held-out mAP R40 of each entry and the pretrained entry's margins."""
    names = [e for e in ENTRIES if any(e in r for r in per_run.values())]
    lines = [f'held-out ({n}) mAP R40, run by run', '',
             '| run | ' + ' | '.join(map(_label, names)) + ' | pretrained minus each |',
             '|---|' + '---:|' * len(names) + '---|']
    for run, res in per_run.items():
        held = {e: _map(r['heldout']) for e, r in res.items()}
        cells = [f'{held[e]:.2f}' if e in held else '-' for e in names]
        p = held.get('pretrained')
        margins = ', '.join(f"{_label(e).split(' ')[0]} {p - held[e]:+.2f}" for e in names
                            if e != 'pretrained' and e in held) if p is not None else ''
        lines.append(f'| {run} | ' + ' | '.join(cells) + f" | {margins or '-'} |")
    return '\n'.join(lines)


def main(argv=None) -> None:
    log.start()
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('runs', nargs='+', metavar='RUN_DIR')
    parser.add_argument('--images', type=int, default=600, help='held-out images (default 600)')
    parser.add_argument('--data-dir', default=None,
                        help='where the held-out world is written (default <world>_heldout<N>)')
    parser.add_argument('--entries', nargs='+', default=None, help='only these entries')
    args = parser.parse_args(argv)
    if args.images < 1:
        parser.error(f'--images must be >= 1, got {args.images}')
    if args.data_dir:
        check_work_dir(args.data_dir, '--data-dir')
    per_run = {}
    for run_dir in map(osp.abspath, args.runs):
        entries = run_entries(run_dir, args.entries)
        # the configs the run dumped: one cut short or damaged is named with its line
        roots = {read_config(c, 'entry config').test_dataloader.dataset.data_root
                 for c, _, _ in entries.values()}
        if len(roots) != 1:
            raise SystemExit(f'error: the entries of {run_dir} were tested on different data '
                             f'({sorted(roots)}); test them one by one with --entries')
        # tools run from the repository root, so a relative data_root is relative to it
        world = osp.dirname(osp.normpath(osp.join(REPO_ROOT, roots.pop())))
        data_dir = osp.abspath(args.data_dir or f'{world}_heldout{args.images}')
        log(f'{run_dir}: the world {world} with {args.images} held-out images in {data_dir}')
        out = osp.join(run_dir, f'heldout{args.images}_{time.strftime("%Y%m%d_%H%M%S")}')
        try:
            obj, held = evaluate_entries({k: v[:2] for k, v in entries.items()}, world,
                                         args.images, data_dir, out, log=log)
        except (OSError, ValueError, WorldMismatch, ToolFailed) as e:
            raise SystemExit(f'error: {e}')
        results = {k: dict(val=entries[k][2], heldout=m) for k, m in held.items()}
        text = table(results, args.images, f'{run_dir}: val split as the run reported it, and '
                     f'{args.images} held-out images of the same world ({obj})')
        print(text)
        with open(osp.join(out, 'summary.md'), 'w') as f:
            f.write(text + '\n')
        json.dump({k: v['heldout'] for k, v in results.items()},
                  open(osp.join(out, 'summary.json'), 'w'), indent=2)
        log(f'outputs in {out}')
        per_run[run_dir] = results
    if len(per_run) > 1:
        print('\n' + across_runs(per_run, args.images))


if __name__ == '__main__':
    main()
