"""Side-by-side speed / memory benchmark of video predictors, all measured in one run.

    python tools/analysis_tools/benchmark.py [CONFIG ...] [--settings 64x64_10to10 128x160_10to1]
        [--batch 4 [2]] [--iters 3] [--device cpu|cuda] [--work-dir work_dirs/benchmark]

CONFIG: pretraining configs whose ``model`` is measured (default: every ``configs/baselines/*.py``;
a model is named after its config file). Each setting overrides the model's ``in_channels``,
``n_past`` and ``n_future`` (and ``frame_size`` where the model has one): ``64x64_10to10`` is
Moving MNIST (1 channel, 10 -> 10), ``128x160_10to1`` is KITTI/Caltech (RGB, 10 -> 1);
``HxW_PtoF[_cC]`` names any other (the VQ-VAE needs P and P + F multiples of 4, e.g.
``64x64_4to12_c1``). Stochastic models are timed in their ``predict`` mode (S samples drawn, the
inference figure counts every sampled frame); a VQ-VAE config is timed in its own stage.

For every (model, setting), in a fresh subprocess (so no model's allocations leak into another's
peak), it reports per sample:
  * params           parameter count (not per sample)
  * GFLOPs           one `predict` call on one clip (observe n_past, predict n_future, all S
                     samples of a stochastic model; multiply-add = 2)
  * act MB           bytes autograd saves for backward in one training step (exact, any device)
  * peak MB          one training step: CPU peak RSS growth of the subprocess; CUDA
                     ``torch.cuda.max_memory_allocated`` growth
  * train samples/s  forward + backward + Adam step, averaged over ``--iters`` steps
  * infer frames/s   predicted frames per second in ``predict`` mode
and the ratio of each figure to the reference model (default: the stacked ConvLSTM) of the same
run. The Markdown table and the JSON rows go to ``<work-dir>/<timestamp>/benchmark.{md,json}``.

``--profile-ops``: instead, per (model, setting), the model eager and compiled
(``compile=dict(scope=--compile-scope)``, same weights) in one process: kernel launches per
training step (forward + backward + Adam, counted with ``torch.profiler``,
crevdet/cli/kernel_launches.py; deterministic, so a CPU count predicts a launch-bound GPU; Adam
runs ``foreach``, its default on CUDA, for both), the median step time of ``--iters`` steps
each, timed alternately (eager, compiled, eager, ...) so that load on a shared machine hits both
alike, and the compile time.

``--data``: also the training data loader of each config, alone: its dataset's clips + the
config's collate function in this process (one worker's rate, samples/s), next to the model's
training samples/s, so one sees which bounds training. ``--data-root`` points the dataset at
other data; ``--frame-cache`` A [B]: the dataset's ``frame_cache`` (``none``, ``auto`` or a cache
folder); two values are timed alternately and compared (e.g. ``none PATH``: decoding vs the frame
cache). ``--render-on-device``: a Moving MNIST config's dataset returns digits and motion only
(``render_on_device=True``) and the timing includes drawing each batch on ``--device``
(``VideoDataPreprocessor``), as training then does.
"""
import argparse
import contextlib
import glob
import json
import os
import os.path as osp
import re
import sys
import time

from crevdet.utils import REPO_ROOT as ROOT
from crevdet.cli.common import check_work_dir, dataset_errors
from crevdet.cli.measure import MB, SavedTensorBytes, peak_step_bytes, run_measurement

PRESETS = {'64x64_10to10': '64x64_10to10_c1', '128x160_10to1': '128x160_10to1_c3'}
FIGURES = [  # key, column title, format
    ('params', 'params', lambda v: f'{v / 1e6:.2f}M'),
    ('gflops', 'GFLOPs/sample', lambda v: f'{v:.2f}'),
    ('act_mb', 'act. MB/sample', lambda v: f'{v:.1f}'),
    ('peak_mb', 'peak MB/sample', lambda v: f'{v:.1f}'),
    ('train_sps', 'train samples/s', lambda v: f'{v:.2f}'),
    ('infer_fps', 'infer frames/s', lambda v: f'{v:.1f}'),
]


def parse_setting(name: str) -> dict:
    spec = PRESETS.get(name, name)
    m = re.fullmatch(r'(\d+)x(\d+)_(\d+)to(\d+)(?:_c(\d+))?', spec)
    if not m:
        raise SystemExit(f'error: setting {name!r} is neither a preset ({", ".join(PRESETS)}) '
                         'nor of the form HxW_PtoF[_cC], e.g. 32x32_4to2_c1')
    h, w, p, f, c = m.groups()
    return dict(name=name, size=(int(h), int(w)), n_past=int(p), n_future=int(f),
                in_channels=int(c or 3))


def build_model(config: str, setting: dict):
    from crevdet.registry import MODELS, build_crevdet
    from crevdet.pretrain_configs import set_protocol
    from crevdet.utils import register_all_modules
    from crevdet.cli.common import read_config
    register_all_modules(init_default_scope=False)
    cfg = read_config(config)
    if 'model' not in cfg:
        raise SystemExit(f'error: config {config} has no `model`')
    model_cfg = cfg.model.to_dict()
    set_protocol(model_cfg, setting['in_channels'], setting['n_past'], setting['n_future'],
                 setting['size'])
    return build_crevdet(MODELS, model_cfg)


def samples_per_clip(model) -> int:
    """Futures ``predict`` draws per clip (S of stochastic models, else 1)."""
    if getattr(model, 'deterministic', False):
        return 1
    return getattr(model, 'num_samples', 1)


def measure(config: str, setting: dict, batch: int, iters: int, device: str) -> dict:
    """One (model, setting) in this (fresh) process."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    torch.manual_seed(0)
    model = build_model(config, setting).to(device)
    n_total = setting['n_past'] + setting['n_future']
    shape = (batch, n_total, setting['in_channels']) + setting['size']
    frames = torch.rand(shape, device=device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)

    saved = SavedTensorBytes()

    def train_step(count_saved: bool = False):
        """forward (every loss term: SRVP's ELBO has three) + backward + Adam step."""
        with saved.count() if count_saved else contextlib.nullcontext():
            loss = sum(v for k, v in model(frames, mode='loss').items() if 'loss' in k)
        opt.zero_grad()
        loss.backward()
        opt.step()

    # 1) memory of the first training step (ru_maxrss is a high-water mark: measure it first)
    model.train()
    peak = peak_step_bytes(lambda: train_step(count_saved=True), device)
    # 2) training throughput (the step above was the warm-up)
    sync()
    t0 = time.perf_counter()
    for _ in range(iters):
        train_step()
    sync()
    train_time = time.perf_counter() - t0
    # 3) inference throughput and FLOPs
    model.eval()
    with torch.no_grad():
        model.predict(frames)  # warm-up
        sync()
        t0 = time.perf_counter()
        for _ in range(iters):
            model.predict(frames)
        sync()
        infer_time = time.perf_counter() - t0
        counter = FlopCounterMode(display=False)
        with counter:
            model.predict(frames[:1])
    return dict(model=osp.splitext(osp.basename(config))[0], config=config,
                type=type(model).__name__, setting=setting['name'], batch=batch, iters=iters,
                device=device, params=sum(p.numel() for p in model.parameters()),
                gflops=counter.get_total_flops() / 1e9, act_mb=saved.total / batch / MB,
                peak_mb=peak / batch / MB, train_sps=batch * iters / train_time,
                infer_fps=batch * setting['n_future'] * samples_per_clip(model) * iters
                / infer_time)


def measure_compile(config: str, setting: dict, batch: int, iters: int, device: str,
                    scope: str = 'step') -> dict:
    """Eager vs ``compile=dict(scope=scope)`` of one model (same weights) in this process:
    kernel launches per training step, median step times (timed alternately), compile time."""
    import copy
    import statistics

    import torch

    from crevdet.cli.kernel_launches import count_kernel_launches, profile_generated_kernels
    torch.manual_seed(0)
    eager = build_model(config, setting).to(device)
    if not hasattr(eager, 'compile_options'):
        raise SystemExit(f'error: {type(eager).__name__} has no compile option')
    compiled = copy.deepcopy(eager)
    compiled.compile_options, compiled.compile_scope = {}, scope
    n_total = setting['n_past'] + setting['n_future']
    frames = torch.rand((batch, n_total, setting['in_channels']) + setting['size'],
                        device=device)
    # foreach: CUDA's default Adam (a few launches for all tensors), not the CPU's per-tensor loop
    opts = {id(m): torch.optim.Adam(m.parameters(), lr=1e-4, foreach=True)
            for m in (eager, compiled)}
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)

    def train_step(m):
        loss = sum(v for k, v in m(frames, mode='loss').items() if 'loss' in k)
        opts[id(m)].zero_grad()
        loss.backward()
        opts[id(m)].step()
        sync()

    eager.train()
    compiled.train()
    t0 = time.perf_counter()
    with profile_generated_kernels():  # generated kernels show up in the profiler
        train_step(compiled)  # compiles
        compile_s = time.perf_counter() - t0
        train_step(compiled)  # the first step compiles the state-less step; this the rest
    train_step(eager)
    n_eager, ops_eager = count_kernel_launches(lambda: train_step(eager))
    n_comp, ops_comp = count_kernel_launches(lambda: train_step(compiled))
    times = {'eager': [], 'compiled': []}
    for _ in range(iters):
        for name, m in (('eager', eager), ('compiled', compiled)):
            t0 = time.perf_counter()
            train_step(m)
            times[name].append(time.perf_counter() - t0)
    return dict(model=osp.splitext(osp.basename(config))[0], config=config,
                setting=setting['name'], batch=batch, iters=iters, device=device,
                compile_scope=scope, launches_eager=n_eager, launches_compiled=n_comp,
                step_s_eager=statistics.median(times['eager']),
                step_s_compiled=statistics.median(times['compiled']),
                steps_eager=times['eager'], steps_compiled=times['compiled'],
                compile_s=compile_s, top_ops_eager=ops_eager.most_common(8),
                top_ops_compiled=ops_comp.most_common(8))


def format_compile_table(rows) -> str:
    out = ['| model | setting | batch | launches/step eager | compiled | cut | step s eager '
           '(median) | compiled | speed-up | compile s |', '|---|---|---:|' + '---:|' * 7]
    for r in rows:
        if 'error' in r:
            out.append(f"| {r['model']} | {r['setting']} | failed: {r['error']} |" + ' |' * 7)
            continue
        out.append(
            f"| {r['model']} | {r['setting']} | {r['batch']} | {r['launches_eager']} | "
            f"{r['launches_compiled']} (scope {r.get('compile_scope', 'step')}) | "
            f"{r['launches_eager'] / r['launches_compiled']:.1f}x | "
            f"{r['step_s_eager']:.3f} | {r['step_s_compiled']:.3f} | "
            f"{r['step_s_eager'] / r['step_s_compiled']:.2f}x | {r['compile_s']:.0f} |")
    return '\n'.join(out)


def measure_loader(config: str, n_samples: int, data_root, frame_caches,
                   render_device: str = None) -> dict:
    """Samples/s of the config's training dataset + collate function in this process (one
    dataloader worker's rate), per ``frame_cache`` value, timed alternately in rounds.
    ``render_device``: Moving MNIST drawn in a batch on that device (included in the time)."""
    import statistics

    from mmengine.registry import FUNCTIONS

    from crevdet.registry import DATASETS, build_crevdet
    from crevdet.utils import register_all_modules
    from crevdet.cli.common import read_config
    register_all_modules(init_default_scope=False)
    cfg = read_config(config)
    loader = cfg.get('train_dataloader')
    if not loader:
        raise SystemExit(f'error: config {config} has no train_dataloader')
    collate_cfg = dict(loader.get('collate_fn', dict(type='pseudo_collate')))
    collate = FUNCTIONS.get(collate_cfg.pop('type'))
    datasets = []
    for fc in frame_caches:
        ds_cfg = loader['dataset'].to_dict() if hasattr(loader['dataset'], 'to_dict') \
            else dict(loader['dataset'])
        if data_root:
            ds_cfg['data_root'] = data_root
        if fc is not None:
            ds_cfg['frame_cache'] = None if fc == 'none' else fc
        if render_device:
            if ds_cfg.get('type') != 'MovingMNISTDataset':
                raise SystemExit(f'error: --render-on-device is for MovingMNISTDataset; the '
                                 f'training dataset of {config} is {ds_cfg.get("type")}')
            ds_cfg['render_on_device'] = True
        datasets.append(build_crevdet(DATASETS, ds_cfg))
    batch = loader.get('batch_size', 1)
    draw, sync = (lambda b: b), (lambda: None)
    if render_device:
        import torch

        from crevdet.models.data_preprocessors import VideoDataPreprocessor
        draw = VideoDataPreprocessor().to(render_device)
        if render_device == 'cuda':
            sync = torch.cuda.synchronize
    times = [[] for _ in datasets]
    n_rounds = 3
    per_round = max(batch, n_samples // n_rounds)
    for r in range(n_rounds):
        for i, ds in enumerate(datasets):
            idx = [(r * per_round + k) % len(ds) for k in range(per_round)]
            t0 = time.perf_counter()
            for a in range(0, len(idx), batch):
                draw(collate([ds[j] for j in idx[a:a + batch]]))
            sync()
            times[i].append(per_round / (time.perf_counter() - t0))
    out = {}
    for fc, ds, t in zip(frame_caches, datasets, times):
        key = 'loader_sps' if len(datasets) == 1 else f'loader_sps[{fc}]'
        out[key] = statistics.median(t)
        out[key + '_cache_used'] = ds.frame_cache is not None if hasattr(ds, 'frame_cache') \
            else False
    out['loader_clips'] = len(datasets[0])
    if render_device:
        out['loader_drawn_on'] = render_device
    return out


def pick_reference(rows, name):
    if name:
        if not any(r['model'] == name for r in rows):
            raise SystemExit(f'error: --reference {name!r} is not among the measured models '
                             f'{sorted({r["model"] for r in rows})}')
        return name
    for r in rows:
        if r['type'] == 'StackedConvLSTM':
            return r['model']
    return rows[0]['model']


def format_table(rows, reference: str) -> str:
    """Markdown: one table per setting; every figure with its ratio to the reference model."""
    out = []
    for setting in dict.fromkeys(r['setting'] for r in rows):
        srows = [r for r in rows if r['setting'] == setting]
        ref = next((r for r in srows if r['model'] == reference and 'error' not in r), None)
        b = srows[0]['batch']
        out.append(f'**{setting}** (batch {b}, {srows[0]["device"]}; ratio to {reference} in '
                   'parentheses)\n')
        out.append('| model | ' + ' | '.join(t for _, t, _ in FIGURES) + ' |')
        out.append('|---|' + '---:|' * len(FIGURES))
        for r in srows:
            if 'error' in r:
                out.append(f"| {r['model']} | failed: {r['error']} |" + ' |' * (len(FIGURES) - 1))
                continue
            cells = []
            for key, _, fmt in FIGURES:
                cell = fmt(r[key])
                if ref is not None and ref[key]:
                    cell += f' ({r[key] / ref[key]:.2f}x)'
                cells.append(cell)
            out.append(f"| {r['model']} | " + ' | '.join(cells) + ' |')
        out.append('')
    return '\n'.join(out)


def format_loader_table(rows) -> str:
    """Loader samples/s (one worker) next to the model's training samples/s."""
    out = []
    for r in rows:
        if 'error' in r:
            continue
        loaders = {k: v for k, v in r.items() if k.startswith('loader_sps') and
                   not k.endswith('_cache_used')}
        train = r.get('train_sps') or (r['batch'] / r['step_s_eager'] if 'step_s_eager' in r
                                       else None)
        cells = [f"{k.replace('loader_sps', 'loader') or 'loader'}: {v:.1f} samples/s"
                 f"{' (frame cache)' if r.get(k + '_cache_used') else ''}"
                 for k, v in loaders.items()]
        if r.get('loader_drawn_on'):
            cells = [c + f" (drawn on {r['loader_drawn_on']})" for c in cells]
        line = f"{r['model']} {r['setting']}: " + ', '.join(cells)
        if len(loaders) == 2:
            a, b = loaders.values()
            line += f' (ratio {b / a:.1f}x)'
        if train:
            line += f'; model training {train:.2f} samples/s ({r["device"]})'
            line += ' -> bound by ' + ('data' if min(loaders.values()) < train else 'the model')
            line += ' with one loader worker'
        out.append(line)
    return '**data loader** (one worker, clips + collate)\n\n' + '\n'.join(out)


@dataset_errors()  # --data: e.g. a damaged frame cache: error: <its name and why>
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='*', help='pretraining configs (default: '
                        'configs/baselines/*.py)')
    parser.add_argument('--settings', nargs='+', default=list(PRESETS))
    parser.add_argument('--batch', type=int, nargs='+', default=[4],
                        help='batch size: one value, or one per setting')
    parser.add_argument('--iters', type=int, default=3, help='timed steps per measurement')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--reference', help='model the ratios refer to (default: the '
                        'StackedConvLSTM model, else the first)')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'benchmark'))
    parser.add_argument('--profile-ops', action='store_true',
                        help='eager vs compiled (--compile-scope): kernel launches per '
                        'training step, step times (alternated), compile time')
    parser.add_argument('--compile-scope', choices=['step', 'loss'], default='step',
                        help="--profile-ops: compile the rollout's per-step work or the whole "
                        'training forward')
    parser.add_argument('--data', action='store_true',
                        help="also time each config's training data loader alone")
    parser.add_argument('--data-root', help='--data: the dataset reads this data_root')
    parser.add_argument('--frame-cache', nargs='+', metavar='none|auto|PATH',
                        help="--data: the dataset's frame_cache; two values are compared")
    parser.add_argument('--data-samples', type=int, default=60,
                        help='--data: clips timed per frame_cache value')
    parser.add_argument('--render-on-device', action='store_true',
                        help='--data: Moving MNIST drawn in a batch on --device, timed with the '
                        'loader')
    parser.add_argument('--_one', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._one:  # child process: one measurement, JSON on the last stdout line
        if args.profile_ops:
            row = measure_compile(args._one[0], parse_setting(args._one[1]), args.batch[0],
                                  args.iters, args.device, args.compile_scope)
        else:
            row = measure(args._one[0], parse_setting(args._one[1]), args.batch[0], args.iters,
                          args.device)
        print(json.dumps(row))
        return
    if args.frame_cache and not args.data:
        raise SystemExit('error: --frame-cache needs --data')
    if args.render_on_device and not args.data:
        raise SystemExit('error: --render-on-device needs --data')
    if args.frame_cache and len(args.frame_cache) > 2:
        raise SystemExit('error: --frame-cache takes one value or two to compare')
    check_work_dir(args.work_dir)  # before any measurement
    configs = args.configs or sorted(glob.glob(osp.join(ROOT, 'configs', 'baselines', '*.py')))
    from crevdet.paths import is_scoped
    missing = [c for c in configs if not is_scoped(c) and not osp.isfile(c)]
    if missing:
        raise SystemExit(f'error: config file(s) not found: {", ".join(missing)}')
    from crevdet.cli.common import read_config
    for c in configs:  # before any measurement: a bad scoped name or a syntax error names it
        read_config(c)
    settings = [parse_setting(s)['name'] for s in args.settings]  # validate before running
    if len(args.batch) not in (1, len(settings)):
        raise SystemExit(f'error: --batch takes one value or one per setting ({len(settings)}), '
                         f'got {len(args.batch)}')
    batches = dict(zip(settings, args.batch * len(settings) if len(args.batch) == 1
                       else args.batch))
    if min(args.batch) < 1 or args.iters < 1:
        raise SystemExit('error: --batch and --iters must be >= 1')
    out_dir = osp.join(args.work_dir, time.strftime('%Y%m%d_%H%M%S'))
    os.makedirs(out_dir, exist_ok=False)
    rows, total = [], len(configs) * len(settings)
    for setting in settings:
        for config in configs:
            name = osp.splitext(osp.basename(config))[0]
            print(f'[{len(rows) + 1}/{total}] {setting} {name} ...', file=sys.stderr, flush=True)
            try:
                rows.append(run_measurement(osp.abspath(__file__), [
                    '--_one', config, setting, '--batch', str(batches[setting]),
                    '--iters', str(args.iters), '--device', args.device]
                    + (['--profile-ops', '--compile-scope', args.compile_scope]
                       if args.profile_ops else [])))
                if args.data:
                    rows[-1].update(measure_loader(
                        config, args.data_samples, args.data_root, args.frame_cache or [None],
                        args.device if args.render_on_device else None))
            except RuntimeError as e:
                err, _, tail = str(e).partition('\n')
                print(f'  failed: {err}\n{tail}', file=sys.stderr)
                rows.append(dict(model=name, config=config, setting=setting,
                                 batch=batches[setting],
                                 device=args.device, type='?', error=err))
    ok = [r for r in rows if 'error' not in r]
    reference = pick_reference(ok, args.reference) if ok and not args.profile_ops else None
    table = format_compile_table(rows) if args.profile_ops else format_table(rows, reference)
    if args.data:
        table += '\n\n' + format_loader_table(rows)
    cmd = 'python tools/analysis_tools/benchmark.py ' + ' '.join(argv if argv is not None
                                                                  else sys.argv[1:])
    with open(osp.join(out_dir, 'benchmark.md'), 'w') as f:
        f.write(f'`{cmd.strip()}`\n\n{table}\n')
    with open(osp.join(out_dir, 'benchmark.json'), 'w') as f:
        json.dump(dict(reference=reference, command=cmd.strip(), rows=rows), f, indent=2)
    print(table)
    print(f'written: {out_dir}/benchmark.md, benchmark.json')
    if len(ok) < len(rows):
        raise SystemExit(f'{len(rows) - len(ok)} measurement(s) failed (see the table)')


if __name__ == '__main__':
    main()
