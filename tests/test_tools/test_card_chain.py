"""The design card's three commands, as the README and the docs write them, run one after
another in a fresh folder with tiny generated data under ``data/``: the full-size detection
pretraining (2 iterations), the SSD on its newest checkpoint (1 iteration), the AP table. Run in
the wrong order, the detector's missing pretraining is one ``error:`` line."""
import os
import os.path as osp
import shlex

import pytest
from conftest import ROOT

from crevdet.datasets.synthetic_kitti import make_synthetic_kitti

CHAIN = ['python tools/train.py configs/pretrain_kitti.py',
         'python tools/train.py configs/ssd_crevnet_kitti.py',
         'python tools/test.py configs/ssd_crevnet_kitti.py work_dirs/ssd_crevnet_kitti/']
# sizes only: the same commands, shrunk to seconds
SMALL = {0: ['train_cfg.max_iters=2', 'train_dataloader.batch_size=1',
             'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False'],
         1: ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=1',
             'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False'],
         2: ['test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']}


@pytest.mark.parametrize('doc', ['README.md', 'docs/get_started.md'])
def test_the_docs_write_the_three_commands(doc):
    text = open(osp.join(ROOT, doc)).read()
    for cmd in CHAIN:
        assert cmd in text, f'{doc} does not show {cmd!r}'


def _workspace(tmp_path):
    """A fresh user folder: the repository's tools and configs, tiny KITTI raw and object data
    under data/ where the configs look."""
    for d in ('tools', 'configs'):
        os.symlink(osp.join(ROOT, d), tmp_path / d)
    world = make_synthetic_kitti(str(tmp_path / 'world'), seed=4, size=(94, 310), raw_drives=2,
                                 raw_frames=6, det_train=1, det_val=1, camera='moving')
    os.makedirs(tmp_path / 'data' / 'kitti')
    os.rename(world['raw'], tmp_path / 'data' / 'kitti_raw')
    os.rename(world['object'], tmp_path / 'data' / 'kitti' / 'object')
    return str(tmp_path)


def _run(cwd, k):
    import subprocess
    import sys
    args = shlex.split(CHAIN[k])[1:] + ['--cfg-options'] + SMALL[k]
    return subprocess.run([sys.executable] + args, cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_the_card_commands_chain(tmp_path):
    cwd = _workspace(tmp_path)
    # the detector before its pretraining: one line naming the command and the option
    proc = _run(cwd, 1)
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert 'Traceback' not in proc.stderr and len(err) == 1, proc.stderr[-3000:]
    assert err[0].startswith('error: the pretraining checkpoint work_dirs/pretrain_kitti/ '), err
    assert '`python tools/train.py configs/pretrain_kitti.py`' in err[0]
    assert '--cfg-options model.backbone.init_cfg.checkpoint=PATH' in err[0]
    assert not osp.exists(osp.join(cwd, 'work_dirs', 'ssd_crevnet_kitti'))
    for k in range(3):
        proc = _run(cwd, k)
        assert proc.returncode == 0, (CHAIN[k], proc.stdout[-2000:], proc.stderr[-4000:])
    assert os.listdir(osp.join(cwd, 'work_dirs', 'pretrain_kitti')) and osp.isfile(
        osp.join(cwd, 'work_dirs', 'pretrain_kitti', 'iter_2.pth'))
    # the detector loaded the pretraining's newest checkpoint, found in its run folder
    logs = ''.join(open(osp.join(r, f)).read() for r, _, fs in os.walk(
        osp.join(cwd, 'work_dirs', 'ssd_crevnet_kitti')) for f in fs if f.endswith('.log'))
    assert 'work_dirs/pretrain_kitti/: loading its newest checkpoint ' \
        'work_dirs/pretrain_kitti/iter_2.pth' in logs
    assert 'mAP_R40' in proc.stdout + proc.stderr
