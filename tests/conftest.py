import functools
import glob
import gzip
import importlib.util
import json
import os
import os.path as osp
import re
import struct
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.join(osp.dirname(ROOT), 'shared', 'data')
# the tiny configs and model the tool tests run (tests/configs/)
TINY_PRETRAIN = osp.join(ROOT, 'tests', 'configs', 'tiny_pretrain_kitti.py')
TINY_SSD = osp.join(ROOT, 'tests', 'configs', 'tiny_ssd_kitti.py')
TINY_CREVNET = dict(in_channels=3, n_past=3, n_future=1,
                    autoencoder=dict(init_squeeze=2, blocks=(1, 1, 1), strides=(1, 2, 2)),
                    predictor=dict(num_layers=2, hidden_channels=8, cell='convlstm'))

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope='session', autouse=True)
def _register():
    from crevdet.utils import register_all_modules
    # as users do in Python: crevdet types resolve without a config's default_scope
    register_all_modules(init_default_scope=True)


def shared(*parts):
    """Path under ../shared/data, or skip the test when the folder is absent (a user's clone)."""
    p = osp.join(SHARED_DATA, *parts)
    if not osp.exists(p):
        pytest.skip(f'{p} not available')
    return p


def run_tool(args, env_extra=None, timeout=600, cmd=None) -> subprocess.CompletedProcess:
    """Run a tool (``args[0]`` relative to the repository) in a subprocess; the finished process."""
    return subprocess.run((cmd or [sys.executable]) + list(args), cwd=ROOT,
                          env=dict(os.environ, **(env_extra or {})), capture_output=True,
                          text=True, timeout=timeout)


def run_tool_ok(args, env_extra=None, timeout=600, cmd=None) -> str:
    """:func:`run_tool` that must exit 0; its stdout + stderr."""
    proc = run_tool(args, env_extra, timeout, cmd)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def logged_losses(work: str) -> dict:
    """``{iteration: loss}`` from every run's ``vis_data/scalars.json`` under a work dir."""
    rows = {}
    for f in sorted(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))):
        for ln in open(f):
            r = json.loads(ln)
            if 'loss' in r:
                rows[r['iter']] = r['loss']
    return rows


#: --cfg-options of the runs the SIGKILL resume tests compare: 5 iterations, no validation, one seed
KILL_TEST_OPTS = ['--cfg-options', 'train_cfg.max_iters=5', 'train_cfg.val_interval=100',
                  'randomness.seed=3']


def tiny_pretrain_with_hook(path, module: str, hook: str) -> str:
    """Write ``path``: TINY_PRETRAIN plus the one custom hook ``hook`` (a dict literal) from
    ``tests/configs/<module>.py`` (the hooks that kill a run at a chosen moment)."""
    with open(path, 'w') as f:
        f.write(f"_base_ = '{TINY_PRETRAIN}'\n"
                f"custom_imports = dict(imports=['tests.configs.{module}'], "
                "allow_failed_imports=False)\n"
                f"custom_hooks = [{hook}]\n")
    return str(path)


def load_tool(relpath: str):
    """Import a tool script (``'tools/train.py'``) as a module, without touching ``sys.path``."""
    name = 'crevdet_tool_' + re.sub(r'\W', '_', relpath)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, relpath))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def make_kitti_raw(root, drives, size=(40, 132)):
    """drives: {drive_name: n_frames}; frame value encodes (drive index, frame index)."""
    for d, (name, n) in enumerate(drives.items()):
        date = name[:10]
        folder = osp.join(root, date, name, 'image_02', 'data')
        os.makedirs(folder)
        for i in range(n):
            img = np.full(size + (3,), 0, np.uint8)
            img[..., 0] = d * 20
            img[..., 1] = i
            img[:, : size[1] // 2, 2] = 200  # left half marked: lets tests see flips
            cv2.imwrite(osp.join(folder, f'{i:010d}.png'), img)
    return root


def fake_digits(n: int, box=(8, 20, 10, 18), seed: int = 0) -> np.ndarray:
    """``(n, 28, 28)`` uint8 "digits": random bright pixels in the box ``(y0, y1, x0, x1)``."""
    y0, y1, x0, x1 = box
    digits = np.zeros((n, 28, 28), np.uint8)
    digits[:, y0:y1, x0:x1] = np.random.default_rng(seed).integers(100, 256, (n, y1 - y0, x1 - x0))
    return digits


def write_idx(path, images):
    with gzip.open(path, 'wb') as f:
        f.write(struct.pack('>IIII', 2051, len(images), 28, 28))
        f.write(images.astype(np.uint8).tobytes())


def moving_square(b=4, t=7, size=32, seed=0):
    """``(B, T, 1, H, W)``: a bright 8x8 square moving 2 px per frame (learnable motion)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((b, t, 1, size, size), np.float32)
    for i in range(b):
        y, x = rng.integers(0, size - 8 - 2 * t, 2)
        for k in range(t):
            out[i, k, 0, y + 2 * k:y + 2 * k + 8, x + 2 * k:x + 2 * k + 8] = 1.0
    return torch.from_numpy(out)


def tiny_configs(tmp_path):
    """Two tiny baseline configs inheriting the real ones."""
    base = osp.join(ROOT, 'configs', 'baselines')
    paths = []
    for name, body in [('stacked_convlstm', 'model = dict(num_layers=1, hidden_channels=4)'),
                       ('crevnet_2d', 'model = dict(autoencoder=dict(blocks=(1, 1, 1)), '
                                      'predictor=dict(num_layers=2, hidden_channels=4))')]:
        p = tmp_path / f'tiny_{name}.py'
        p.write_text(f"_base_ = '{osp.join(base, name + '_mmnist.py')}'\n{body}\n")
        paths.append(str(p))
    return paths


@pytest.fixture
def mmlog():
    """Messages of mmengine's current logger (print_log(..., logger='current'))."""
    import logging

    from mmengine.logging import MMLogger
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())
    logger, handler = MMLogger.get_current_instance(), Keep()
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.fixture(scope='module')
def kitti_raw(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('kitti_raw'))
    return make_kitti_raw(root, {'2011_09_26_drive_0001_sync': 16,
                                 '2011_09_26_drive_0009_sync': 12})


@functools.lru_cache(maxsize=None)
def detection_configs():
    """``((path relative to the repository, Config), ...)`` of every shipped detection config
    whose backbone is a video predictor (``VideoPredictorBackbone`` / ``CrevNetBackbone``)."""
    from mmengine.config import Config
    found = []
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)):
        rel = osp.relpath(path, ROOT)
        if '_base_' in rel:
            continue
        cfg = Config.fromfile(path)
        backbone = (cfg.get('model') or {}).get('backbone') or {}
        if str(backbone.get('type', '')).endswith(('CrevNetBackbone', 'VideoPredictorBackbone')):
            found.append((rel, cfg))
    return tuple(found)
