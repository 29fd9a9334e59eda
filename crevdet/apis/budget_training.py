"""Train a video-prediction config for a fixed budget on a shared benchmark protocol: the
data presets and data-config files of ``ablation.py`` / ``learning_curves.py`` (``--data``), the
fixed test subset, and a runner that stops after N iterations or M training minutes.

What to train on and for how long is a :class:`BudgetProtocol`; the tools build one from their
options (:meth:`BudgetProtocol.from_options`). Bad input is a :class:`BudgetError` (a
``ValueError``) whose message names the option; the tools turn it into their ``error: ...`` exit.
"""
import copy
import dataclasses
import functools
import os
import os.path as osp
import time
from typing import Optional

from crevdet.paths import REPO_ROOT as ROOT

DATA = {
    'mmnist': dict(base='configs/_base_/datasets/moving_mnist.py', in_channels=1, n_past=10,
                   n_future=10, data_root='data/mnist/'),
    'smmnist': dict(base='configs/_base_/datasets/stochastic_moving_mnist.py', in_channels=1,
                    n_past=5, n_future=10, data_root='data/mnist/'),
    'kitti': dict(base='configs/_base_/datasets/kitti_raw.py', in_channels=3, n_past=10,
                  n_future=1, data_root='data/kitti_raw/'),
}
FRAME_SIZE = dict(mmnist=(64, 64), smmnist=(64, 64), kitti=(128, 160))


class BudgetError(ValueError):
    """Bad input to a budget run; the message names the option (``--data``, ``--data-root``)."""


@dataclasses.dataclass
class BudgetProtocol:
    """A fixed-budget run: the data (a preset of :data:`DATA` or a data config file with a
    ``protocol``), where it lives, the observed / predicted frames (None: the data's), the
    training batch (None: the data config's), dataloader workers, the number of test clips, the
    budget (``iters`` or ``minutes``), logging, seed and work dir."""
    data: str
    data_root: Optional[str] = None
    n_past: Optional[int] = None
    n_future: Optional[int] = None
    batch: Optional[int] = None
    workers: int = 0
    test_clips: int = 64
    iters: Optional[int] = None
    minutes: Optional[float] = None
    log_interval: int = 50
    seed: int = 0
    work_dir: str = osp.join('work_dirs', 'budget')
    quiet: bool = False

    @classmethod
    def from_options(cls, options) -> 'BudgetProtocol':
        """The protocol of any object with these attributes (a tool's parsed options); the ones
        it lacks keep their defaults."""
        if isinstance(options, cls):
            return options
        return cls(**{f.name: getattr(options, f.name) for f in dataclasses.fields(cls)
                      if hasattr(options, f.name)})


@functools.lru_cache(maxsize=8)
def _parsed(path: str, mtime: float):
    # one parse per data config file and version: data_spec, protocol and data_config all read it
    from mmengine.config import Config
    return Config.fromfile(path)


def load_config(path: str):
    """``Config.fromfile(path)``, parsed once per process while the file is unchanged; each
    caller gets its own copy to modify."""
    return copy.deepcopy(_parsed(osp.abspath(path), os.stat(path).st_mtime))


def data_spec(args) -> dict:
    """The preset of ``--data``, or the ``protocol`` of a data config file (with its path as
    ``base``). ``args``: a :class:`BudgetProtocol` (or options it is made from)."""
    args = BudgetProtocol.from_options(args)
    if args.data in DATA:
        return dict(DATA[args.data], frame_size=FRAME_SIZE[args.data])
    if not args.data.endswith('.py') or not osp.isfile(args.data):
        raise BudgetError(f'--data {args.data!r} is neither a preset ({", ".join(DATA)}) '
                         'nor an existing data config file (.py)')
    cfg = load_config(args.data)
    missing = [k for k in ('train_dataloader', 'test_dataloader', 'protocol') if k not in cfg]
    if missing:
        raise BudgetError(f'data config {args.data} lacks {", ".join(missing)} (it needs '
                         'train_dataloader, test_dataloader and protocol=dict(in_channels=, '
                         'n_past=, n_future=, frame_size=))')
    spec = dict(cfg.protocol)
    absent = [k for k in ('in_channels', 'n_past', 'n_future', 'frame_size') if k not in spec]
    if absent:
        raise BudgetError(f'protocol of {args.data} lacks {", ".join(absent)}')
    return dict(spec, base=osp.abspath(args.data), data_root=None)


def protocol(args):
    """``(n_past, n_future)`` of the run: its own, else its data's."""
    args = BudgetProtocol.from_options(args)
    spec = data_spec(args)
    return (args.n_past or spec['n_past'], args.n_future or spec['n_future'])


def find_file(root: str, stem: str):
    for name in (stem, stem + '.gz'):
        if osp.isfile(osp.join(root, name)):
            return osp.join(root, name)
    return None


def data_config(args):
    """Train / test dataloader configs of the chosen data, pointed at ``--data-root``."""
    args = BudgetProtocol.from_options(args)
    spec = data_spec(args)
    root = args.data_root or spec['data_root']
    if root is not None and not osp.isdir(root):
        raise BudgetError(f'--data-root {root!r} is not a directory')
    dcfg = load_config(osp.join(ROOT, spec['base']))
    train, test = dcfg.train_dataloader, dcfg.test_dataloader
    for loader in (train, test):
        loader.update(num_workers=args.workers, persistent_workers=args.workers > 0)
    if args.batch:
        train.batch_size = args.batch
    note = ''
    n_past, n_future = protocol(args)
    for loader in (train, test):
        key = 'seq_len' if args.data in ('mmnist', 'smmnist') else 'clip_len'
        if key in loader.dataset:  # (a wrapper such as ConcatDataset sets it per part)
            loader.dataset[key] = n_past + n_future
    if args.data in ('mmnist', 'smmnist'):
        test_file = find_file(root, 't10k-images-idx3-ubyte')
        if test_file is None:
            raise BudgetError(f'no t10k-images-idx3-ubyte(.gz) in {root}')
        train_file = find_file(root, 'train-images-idx3-ubyte')
        if train_file:
            train.dataset.update(mnist_file=train_file, digit_range=(0, 60000))
            test.dataset.update(mnist_file=test_file, digit_range=(0, 10000))
        else:
            note = ('no MNIST training digits in the data root: training on t10k digits '
                    '0-7999, testing on 8000-9999')
            train.dataset.update(mnist_file=test_file, digit_range=(0, 8000))
            test.dataset.update(mnist_file=test_file, digit_range=(8000, 10000))
        test.dataset.num_sequences = args.test_clips
        return train, test, None, note
    if root is not None:
        for loader in (train, test):
            if 'data_root' not in loader.dataset:
                raise BudgetError(f'--data-root: the datasets of {args.data} have no '
                                 'data_root to replace; edit the data config instead')
            loader.dataset.data_root = root
    return train, test, args.test_clips, note


def data_args(data: str, data_root, n_past, n_future, test_clips: int,
              batch=None) -> BudgetProtocol:
    """The :class:`BudgetProtocol` :func:`data_config` and :func:`protocol` read, for tools that
    only evaluate (data loaded in the main process)."""
    return BudgetProtocol(data=data, data_root=data_root, workers=0, batch=batch,
                          n_past=n_past, n_future=n_future, test_clips=test_clips)


def unit_frames(frames):
    """Dataset frames as float in [0, 1] (uint8 divided by 255; float frames as they are)."""
    import torch
    return frames.float() / 255 if frames.dtype == torch.uint8 else frames.float()


def first_test_clips(test, n: int):
    """The first ``n`` clips of :func:`data_config`'s test loader config as one float tensor
    ``(N, T, C, H, W)`` in [0, 1] (Moving MNIST: the ``test_clips`` the learning curves score)."""
    import torch

    from crevdet.registry import DATASETS, build_crevdet
    ds = build_crevdet(DATASETS, test.dataset)
    return unit_frames(torch.stack([ds[i]['inputs'] for i in range(min(n, len(ds)))]))


def subset(dataset_cfg, n):
    """At most ``n`` clips spread evenly over the built test set (deterministic)."""
    from torch.utils.data import Subset

    from crevdet.registry import DATASETS, build_crevdet
    ds = build_crevdet(DATASETS, dataset_cfg)
    if len(ds) <= n:
        return ds
    step = len(ds) / n
    return Subset(ds, [int(i * step) for i in range(n)])


def train_for_budget(cfg, args, work_dir, share: float = 1.0, hooks=()):
    """Build a runner for ``cfg`` and train it for ``share`` of the budget; returns the runner
    and the training time in seconds (evaluations inside the loop excluded). ``hooks``: more
    custom hook configs or Hook objects (their evaluation time does not count as training time,
    see ``TrainTimeBudgetHook``)."""
    from crevdet.engine import build_runner
    args = BudgetProtocol.from_options(args)
    from crevdet.engine.hooks.time_budget_hook import eval_seconds
    max_iters = max(1, int(args.iters * share)) if args.iters else 10 ** 9
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10 ** 9)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.param_scheduler = []  # constant lr: a short budget never reaches a decay milestone
    cfg.custom_hooks = [dict(type='TrainTimeBudgetHook', minutes=args.minutes * share)] \
        if args.minutes else []
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=args.log_interval)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=max_iters,
                                        by_epoch=False, save_last=True)
    cfg.log_processor = dict(type='LogProcessor', window_size=args.log_interval, by_epoch=False)
    cfg.work_dir = work_dir
    cfg.experiment_name = f'ablation_{osp.basename(work_dir)}_{time.strftime("%Y%m%d_%H%M%S")}'
    cfg.randomness = dict(seed=args.seed)
    cfg.custom_hooks += [h for h in hooks if isinstance(h, dict)]
    if args.quiet:
        cfg.log_level = 'WARNING'
    runner = build_runner(cfg)
    for h in hooks:
        if not isinstance(h, dict):
            runner.register_hook(h)
    t0 = time.perf_counter()
    runner.train()
    return runner, time.perf_counter() - t0 - eval_seconds(runner)


def prepare_run(args):
    """Builds the shared data (:func:`data_config`) and creates a new
    ``<work-dir>/<timestamp>/``; returns ``(train, test, limit, note, out_dir)`` (``note``: what
    the caller should tell the user about the data, or ''). crevdet must be registered first
    (``crevdet.utils.register_all_modules``: the tools do it)."""
    args = BudgetProtocol.from_options(args)
    train, test, limit, note = data_config(args)
    out_dir = osp.join(args.work_dir, time.strftime('%Y%m%d_%H%M%S'))
    os.makedirs(out_dir, exist_ok=False)
    return train, test, limit, note, out_dir
