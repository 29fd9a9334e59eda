"""The bad-input matrix: every case of "nothing silent, nothing lost" (NaN training, runs that
would overwrite runs, partial weight hand-off, bad labels, broken checkpoints, broken video data,
tool options that would be ignored). Each case asserts the clear error (or the counted warning
of its documented option) instead of a silent result, a raw traceback or lost files."""
import glob
import gzip
import os
import os.path as osp
import pickle
import types

import cv2
import numpy as np
import pytest
import torch

from conftest import (KILL_TEST_OPTS, SHARED_DATA, TINY_CREVNET, TINY_SSD, load_tool,
                      logged_losses, make_kitti_raw, run_tool, tiny_pretrain_with_hook)
from conftest import TINY_PRETRAIN as TINY
from crevdet.checkpoint import expand_pretrain_configs

import crevdet.cli.train as train_tool  # what tools/train.py runs


def run(args, env=None):
    proc = run_tool(args, env)
    return proc.returncode, proc.stdout + proc.stderr


def last_line(text):
    return [ln for ln in text.strip().splitlines() if ln.strip()][-1]


def save_ckpt(path, state_dict, **extra):
    """A training checkpoint as tools/train.py saves one: weights and training state."""
    torch.save(dict(dict(state_dict=state_dict, meta=dict(iter=2), message_hub=dict()),
                    **extra), path)
    return path


# ---------------------------------------------------------------------- 1. non-finite training
def test_nan_loss_stops_training_without_writing_checkpoints(kitti_raw, tmp_path):
    work = str(tmp_path / 'work')
    rc, out = run(['tools/train.py', TINY, '--work-dir', work,
                   '--cfg-options', 'optim_wrapper.optimizer.lr=1e10'],
                  env=dict(CREVDET_TEST_DATA=kitti_raw))
    assert rc != 0
    import re
    assert re.search(r'NonFiniteError: non-finite loss at iteration \d+: loss=nan, loss_mse=nan',
                     last_line(out)), out[-2000:]
    assert not glob.glob(osp.join(work, '*.pth'))  # nothing non-finite written


def _guarded_fake_run():
    """A NaNGuardHook attached to a tiny model + optimizer, as the runner would attach it."""
    from mmengine.model import BaseModel
    from mmengine.optim import OptimWrapper

    from crevdet.engine import NaNGuardHook

    class Net(BaseModel):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 1)

        def forward(self, x, mode='loss'):
            return dict(loss_a=self.lin(x).mean(), loss_b=x.sum() * 0)

    model = Net()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    runner = types.SimpleNamespace(model=model, optim_wrapper=wrapper, iter=6, train_loop=None,
                                   work_dir='wd')
    hook = NaNGuardHook()
    hook.before_train(runner)
    return model, wrapper, runner, hook


def test_nan_guard_loss_gradient_and_checkpoint_checks():
    from crevdet.engine import NonFiniteError
    model, wrapper, runner, hook = _guarded_fake_run()
    before = model.lin.weight.detach().clone()
    with pytest.raises(NonFiniteError, match=r'non-finite loss at iteration 7: .*loss_a=nan'):
        model.train_step(dict(x=torch.tensor([[float('nan'), 1.0]])), wrapper)
    model.train_step(dict(x=torch.ones(1, 2)), wrapper)  # finite: trains
    assert not torch.equal(before, model.lin.weight)
    # a non-finite gradient is caught before the step changes a weight
    model.lin.weight.grad = torch.full_like(model.lin.weight, float('inf'))
    model.lin.bias.grad = torch.zeros_like(model.lin.bias)
    w = model.lin.weight.detach().clone()
    with pytest.raises(NonFiniteError, match=r'non-finite gradient at iteration 7 .*lin\.weight'):
        wrapper.step()
    assert torch.equal(w, model.lin.weight)
    bad = dict(model.state_dict(), **{'lin.bias': torch.tensor([float('nan')])})
    with pytest.raises(NonFiniteError, match=r'refusing to write a checkpoint.*lin\.bias'):
        hook.before_save_checkpoint(runner, dict(state_dict=bad))
    hook.before_save_checkpoint(runner, dict(state_dict=model.state_dict()))
    hook.after_train(runner)
    model.lin.weight.grad = torch.full_like(model.lin.weight, float('inf'))
    wrapper.step()  # the hook is gone after training


# ------------------------------------------------------------- 2. runs never overwrite runs
def _train_cfg(argv):
    return train_tool.build_cfg(train_tool.parse_args(argv))


def test_second_run_into_a_used_work_dir_is_refused(tmp_path):
    work = str(tmp_path / 'work')
    os.makedirs(work)
    save_ckpt(osp.join(work, 'iter_4.pth'), {'w': torch.ones(1)})
    with pytest.raises(SystemExit, match=r'already holds a run \(iter_4\.pth\); pass --resume'):
        _train_cfg([TINY, '--work-dir', work])
    assert torch.load(osp.join(work, 'iter_4.pth'))['state_dict']['w'].item() == 1


def test_resume_with_nothing_to_resume_is_an_error(tmp_path):
    with pytest.raises(SystemExit, match='nothing to resume in .*drop --resume'):
        _train_cfg([TINY, '--work-dir', str(tmp_path / 'empty'), '--resume'])


def test_resume_falls_back_to_newest_readable_checkpoint(tmp_path, capsys):
    work = str(tmp_path)
    good = save_ckpt(osp.join(work, 'iter_2.pth'), {'w': torch.ones(1)})
    newest = save_ckpt(osp.join(work, 'iter_4.pth'), {'w': torch.ones(1000)})
    data = open(newest, 'rb').read()
    open(newest, 'wb').write(data[:len(data) // 2])  # killed while saving
    open(osp.join(work, 'last_checkpoint'), 'w').write(newest)
    cfg = _train_cfg([TINY, '--work-dir', work, '--resume'])
    assert cfg.resume and cfg.load_from == good
    out = capsys.readouterr().out
    assert 'iter_4.pth: it is truncated or corrupt' in out and 'iter_4.pth.unreadable' in out
    assert osp.isfile(newest + '.unreadable') and not osp.exists(newest)  # kept, not overwritten


def test_resume_refuses_a_broken_checkpoint_and_overwriting_later_ones(tmp_path):
    work = str(tmp_path)
    save_ckpt(osp.join(work, 'iter_2.pth'), {'w': torch.ones(1)})
    save_ckpt(osp.join(work, 'iter_4.pth'), {'w': torch.ones(1)})
    open(osp.join(work, 'iter_6.pth'), 'wb').write(b'PK\x03\x04 cut short')
    with pytest.raises(SystemExit, match=r'iter_6.pth is truncated.*newest readable checkpoint '
                                         r'there is .*iter_4.pth'):
        _train_cfg([TINY, '--work-dir', str(tmp_path / 'new'), '--resume',
                    osp.join(work, 'iter_6.pth')])
    with pytest.raises(SystemExit,
                       match=r'would overwrite its later checkpoints \(iter_4.pth, iter_6.pth\)'):
        _train_cfg([TINY, '--work-dir', work, '--resume', osp.join(work, 'iter_2.pth')])
    cfg = _train_cfg([TINY, '--work-dir', str(tmp_path / 'new'), '--resume',
                      osp.join(work, 'iter_2.pth')])  # into a new work dir: fine
    assert cfg.load_from == osp.join(work, 'iter_2.pth')


def test_resume_passes_over_a_published_checkpoint(tmp_path):
    """A weights-only checkpoint in the work dir (publish_model.py's output copied there):
    never resumed from (mmengine would stop on the missing training state). Resume takes the
    newest checkpoint that has it, or refuses with how to start from the weights (load_from);
    the published file is never moved or overwritten."""
    work = str(tmp_path / 'run')
    os.makedirs(work)
    published = osp.join(work, 'iter_8.pth')
    torch.save(dict(state_dict={'w': torch.ones(1)}, meta=dict()), published)
    with pytest.raises(SystemExit, match=r'no checkpoint in .*run holds training state: '
                                         r'iter_8.pth is weights only \(no message_hub.*'
                                         r'--cfg-options load_from=.*iter_8.pth'):
        _train_cfg([TINY, '--work-dir', work, '--resume'])
    with pytest.raises(SystemExit, match=r'--resume checkpoint .*iter_8.pth is weights only.*'
                                         r'load_from='):
        _train_cfg([TINY, '--work-dir', str(tmp_path / 'new'), '--resume', published])
    good = save_ckpt(osp.join(work, 'iter_2.pth'), {'w': torch.ones(1)})
    # resuming from iter_2 would write iter_8 again: refused, naming the published file
    with pytest.raises(SystemExit, match=r'iter_8.pth is weights only.*would overwrite it'):
        _train_cfg([TINY, '--work-dir', work, '--resume'])
    renamed = osp.join(work, 'crevdet_published-1a2b3c4d.pth')
    os.rename(published, renamed)
    open(osp.join(work, 'last_checkpoint'), 'w').write(renamed)
    cfg = _train_cfg([TINY, '--work-dir', work, '--resume'])
    assert cfg.resume and cfg.load_from == good and osp.isfile(renamed)


def test_resume_after_sigkill_reproduces_the_uninterrupted_losses(kitti_raw, tmp_path):
    cfg = tiny_pretrain_with_hook(tmp_path / 'killed.py', 'sigkill_hook',
                                  "dict(type='SigKillAfterIterHook', after_iter=3)")
    env = dict(CREVDET_TEST_DATA=kitti_raw)
    opts = KILL_TEST_OPTS
    full, killed = str(tmp_path / 'full'), str(tmp_path / 'killed')
    rc, out = run(['tools/train.py', TINY, '--work-dir', full] + opts + ['custom_hooks=[]'], env)
    assert rc == 0, out[-3000:]
    rc, out = run(['tools/train.py', str(cfg), '--work-dir', killed] + opts, env)
    assert rc == -9 and osp.isfile(osp.join(killed, 'iter_2.pth')), out[-3000:]
    assert not osp.exists(osp.join(killed, 'iter_4.pth'))
    rc, out = run(['tools/train.py', TINY, '--work-dir', killed, '--resume'] + opts +
                  ['custom_hooks=[]'], env)
    assert rc == 0, out[-3000:]

    a, b = logged_losses(full), logged_losses(killed)
    assert sorted(a) == [1, 2, 3, 4, 5] and {3, 4, 5} <= set(b)
    assert [a[i] for i in (3, 4, 5)] == [b[i] for i in (3, 4, 5)]
    assert len({a[i] for i in a}) > 1  # it does train


# ------------------------------------------------------------------ 3. strict weight hand-off
def _pretraining_ckpt(tmp_path, hidden=8):
    from crevdet.models import CrevNet
    net = CrevNet(**dict(TINY_CREVNET, predictor=dict(TINY_CREVNET['predictor'],
                                                       hidden_channels=hidden)))
    return net, save_ckpt(str(tmp_path / f'pre{hidden}.pth'), net.state_dict())


def test_backbone_with_other_width_refuses_pretraining_checkpoint(tmp_path):
    from crevdet.models import CrevNetBackbone
    from crevdet.checkpoint.weights import WeightMismatchError
    net, path = _pretraining_ckpt(tmp_path, hidden=8)
    wide = dict(TINY_CREVNET, predictor=dict(TINY_CREVNET['predictor'], hidden_channels=16))
    bb = CrevNetBackbone(model=wide, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(WeightMismatchError, match=r'pre8\.pth do not fit CrevNetBackbone.* with '
                       r'other shapes \(net\.predictor.*checkpoint \[.*vs model.*'
                       r'init_cfg.strict=False'):
        bb.init_weights()
    # the explicit opt-in loads what fits and says so
    bb = CrevNetBackbone(model=wide, init_cfg=dict(type='Pretrained', checkpoint=path,
                                                   strict=False))
    bb.init_weights()
    ae = {k: v for k, v in net.state_dict().items() if k.startswith('autoencoder.')}
    assert all(torch.equal(bb.net.state_dict()[k], v) for k, v in ae.items())
    # a detector checkpoint without prefix='backbone.' is named as such
    det_ckpt = save_ckpt(str(tmp_path / 'det.pth'),
                         {f'backbone.{k}': v for k, v in net.state_dict().items()})
    bb = CrevNetBackbone(model=TINY_CREVNET, init_cfg=dict(type='Pretrained', checkpoint=det_ckpt))
    with pytest.raises(WeightMismatchError, match="detector's: set prefix='backbone.'"):
        bb.init_weights()
    bb = CrevNetBackbone(model=TINY_CREVNET, init_cfg=dict(type='Pretrained', checkpoint=det_ckpt,
                                                           prefix='backbone.'))
    bb.init_weights()
    assert all(torch.equal(bb.net.state_dict()[k], v) for k, v in net.state_dict().items())


def test_runner_load_is_strict_unless_load_strict_false(tmp_path):
    """tools/test.py's (and load_from's) load: CrevdetRunner.load_checkpoint."""
    from mmengine.config import Config

    from crevdet.engine import CrevdetRunner
    from crevdet.checkpoint.weights import WeightMismatchError
    from crevdet.registry import MODELS
    net, path = _pretraining_ckpt(tmp_path)
    cfg = Config.fromfile(TINY_SSD)
    det = MODELS.build(expand_pretrain_configs(cfg).model)
    det.init_weights()  # mmdet's SSDNeck L2Norm weight is uninitialised memory until then

    class Cfg(dict):
        filename = TINY_SSD
    logs = []
    runner = types.SimpleNamespace(model=det, cfg=Cfg(load_strict=True),
                                   call_hook=lambda *a, **k: None,
                                   logger=types.SimpleNamespace(info=logs.append))
    with pytest.raises(WeightMismatchError, match=r'pre8\.pth do not fit the SingleStageDetector '
                       r'of tiny_ssd_kitti\.py: .*keys missing.*pretraining checkpoint given '
                       r'where a detector checkpoint is expected.*load_strict=False'):
        CrevdetRunner.load_checkpoint(runner, path)
    good = save_ckpt(str(tmp_path / 'det.pth'), det.state_dict())
    CrevdetRunner.load_checkpoint(runner, good)
    runner.cfg['load_strict'] = False
    CrevdetRunner.load_checkpoint(runner, path)  # opted in: partial, warned


# ---------------------------------------------------------------------------- 4. labels
def _label_tree(tmp_path, label_text):
    root = tmp_path / 'kitti'
    for d in ('training/image_2', 'training/label_2'):
        os.makedirs(root / d)
    cv2.imwrite(str(root / 'training/image_2/000000.png'), np.zeros((40, 120, 3), np.uint8))
    (root / 'training/label_2/000000.txt').write_text(label_text)
    return str(root) + '/'


def _det_dataset(root, **kw):
    from crevdet.datasets import KittiDetDataset
    return KittiDetDataset(data_root=root, ann_file='', num_prev=0, pipeline=[], **kw)


GOOD = 'Car 0.00 0 -1.58 10.00 5.00 50.00 30.00 1.5 1.6 3.9 1.0 1.7 20.0 -1.5\n'


@pytest.mark.parametrize('line,error', [
    ('Carr 0.00 0 -1.58 10.00 5.00 50.00 30.00 1.5 1.6 3.9 1.0 1.7 20.0 -1.5',
     r"000000\.txt:2: unknown object type 'Carr'.*class_map=\{'Carr': 'Car'\}"),
    ('Car 0.00 0 -1.58 50.00 5.00 10.00 30.00 1.5 1.6 3.9 1.0 1.7 20.0 -1.5',
     r'000000\.txt:2: invalid Car box .*\(50\.0, 5\.0, 10\.0, 30\.0\).*x2 > x1'),
    ('Pedestrian 0.00 0 -1.58 10.00 nan 50.00 30.00 1.5 1.6 3.9 1.0 1.7 20.0 -1.5',
     r'000000\.txt:2: invalid Pedestrian box .*finite'),
    ('Car 0.00 0 -1.58 10.00 30.00 50.00 30.00 1.5 1.6 3.9 1.0 1.7 20.0 -1.5',
     r'000000\.txt:2: invalid Car box.*y2 > y1'),
], ids=['unknown_class', 'x2_lt_x1', 'nan_coordinate', 'zero_height'])
def test_bad_labels_name_file_and_line(tmp_path, line, error):
    root = _label_tree(tmp_path, GOOD + line + '\n')
    with pytest.raises(ValueError, match=error):
        _det_dataset(root)


def test_label_options_map_or_drop_with_a_count(tmp_path, mmlog):
    root = _label_tree(tmp_path, GOOD + GOOD.replace('Car', 'Carr') +
                       GOOD.replace('50.00', '5.00'))
    ds = _det_dataset(root, class_map=dict(Carr='Car'), invalid_boxes='drop')
    assert [o['type'] for o in ds.get_data_info(0)['kitti_objects']] == ['Car', 'Car']
    assert len(ds.get_data_info(0)['instances']) == 2
    ds = _det_dataset(root, unknown_classes='ignore', invalid_boxes='drop')
    assert len(ds.get_data_info(0)['instances']) == 1
    assert "'unknown_class': 1" in mmlog[-1] and "'invalid_box': 1" in mmlog[-1]


def test_shared_official_labels_pass_validation():
    from crevdet.datasets.kitti_labels import read_kitti_label_file
    files = sorted(glob.glob(osp.join(SHARED_DATA, 'kitti_object_sample', 'training', 'label_2',
                                      '*.txt')))
    if not files:
        pytest.skip('shared KITTI labels not available')
    dropped = {}
    n = sum(len(read_kitti_label_file(f, dropped=dropped)) for f in files)
    assert len(files) == 50 and n == 349 and dropped == {}


def test_empty_split_file_is_an_error(tmp_path):
    from crevdet.datasets import KittiDetDataset
    root = _label_tree(tmp_path, GOOD)
    os.makedirs(osp.join(root, 'ImageSets'))
    open(osp.join(root, 'ImageSets', 'train.txt'), 'w').write('\n\n')
    with pytest.raises(ValueError, match=r'split file .*ImageSets/train\.txt lists no image id'):
        KittiDetDataset(data_root=root, ann_file='ImageSets/train.txt', num_prev=0, pipeline=[])


# --------------------------------------------------------------------- 5. checkpoint files
def _bad_file(tmp_path, kind):
    path = str(tmp_path / f'{kind}.pth')
    if kind == 'random_bytes':
        open(path, 'wb').write(b'garbage' + np.random.default_rng(0).bytes(2000))
    elif kind == 'plain_pickle':
        pickle.dump({'state_dict': {'w': [1.0]}}, open(path, 'wb'))
    elif kind == 'empty':
        open(path, 'wb').close()
    else:
        save_ckpt(path, {'w': torch.ones(1000)})
        data = open(path, 'rb').read()
        open(path, 'wb').write(data[:len(data) // 2])
    return path


@pytest.mark.parametrize('kind,error', [
    ('random_bytes', r'random_bytes\.pth is not a PyTorch checkpoint'),
    ('plain_pickle', r'plain_pickle\.pth is a plain pickle file, not a checkpoint written by '
                     r'torch\.save'),
    ('truncated', r'truncated\.pth is truncated or corrupt.*interrupted.*earlier checkpoint'),
    ('empty', r'empty\.pth is empty \(0 bytes\)'),
])
def test_broken_checkpoint_files_say_what_is_wrong(tmp_path, kind, error):
    from crevdet.checkpoint import load_local_checkpoint
    from crevdet.checkpoint.files import CheckpointFileError
    with pytest.raises(CheckpointFileError, match=error) as e:
        load_local_checkpoint(_bad_file(tmp_path, kind))
    assert '--resume' not in str(e.value) or kind in ('truncated', 'empty')
    legacy = str(tmp_path / 'legacy.pth')  # torch's pre-1.6 format is still a checkpoint
    torch.save({'state_dict': {'w': torch.ones(2)}}, legacy, _use_new_zipfile_serialization=False)
    assert torch.equal(load_local_checkpoint(legacy)['state_dict']['w'], torch.ones(2))


# --------------------------------------------------------------------------- 6. video data
def test_truncated_mnist_names_its_file(tmp_path):
    from crevdet.datasets.moving_mnist import read_idx_images
    path = str(tmp_path / 't10k-images-idx3-ubyte.gz')
    raw = np.zeros(16 + 10 * 28 * 28, np.uint8).tobytes()
    raw = (2051).to_bytes(4, 'big') + (10).to_bytes(4, 'big') + (28).to_bytes(4, 'big') * 2 + \
        raw[16:]
    data = gzip.compress(raw)
    open(path, 'wb').write(data[:len(data) // 2])
    with pytest.raises(OSError, match=r"t10k-images-idx3-ubyte\.gz.*truncated or corrupt"):
        read_idx_images(path)


@pytest.mark.parametrize('damage,error', [
    ('other_size', r'0000000004\.png is 60x30 with 3 channel\(s\) but .*0000000000\.png of the '
                   r'same clip is 132x40 with 3'),
    ('greyscale', r'0000000004\.png is 132x40 with 1 channel\(s\) but .* 132x40 with 3'),
], ids=['other_size', 'greyscale'])
def test_odd_frame_inside_a_drive_is_an_error(tmp_path, damage, error):
    from crevdet.datasets import KittiRawVideoDataset
    root = make_kitti_raw(str(tmp_path), {'2011_09_26_drive_0001_sync': 8})
    odd = glob.glob(osp.join(root, '*', '*', 'image_02', 'data', '0000000004.png'))[0]
    img = np.zeros((30, 60, 3), np.uint8) if damage == 'other_size' else np.zeros((40, 132),
                                                                                     np.uint8)
    cv2.imwrite(odd, img)
    ds = KittiRawVideoDataset(root, clip_len=5, split='all', clip_stride=5)
    with pytest.raises(ValueError, match=error):
        ds[0]


def test_gap_in_frame_numbering(tmp_path, mmlog):
    from crevdet.datasets import KittiRawVideoDataset
    root = make_kitti_raw(str(tmp_path), {'2011_09_26_drive_0001_sync': 12})
    os.remove(glob.glob(osp.join(root, '*', '*', 'image_02', 'data', '0000000005.png'))[0])
    with pytest.raises(ValueError, match=r'drive_0001_sync/image_02/data: frame numbering has 1 '
                                         r'gap\(s\), missing frame number\(s\) \[5\].*'
                                         r"on_gap='split'"):
        KittiRawVideoDataset(root, clip_len=3, split='all')
    ds = KittiRawVideoDataset(root, clip_len=3, split='all', on_gap='split')
    # runs 0-4 and 6-11: 3 + 4 clips, none spans the gap
    assert len(ds) == 7 and [m['start_frame'] for m in ds.clip_meta] == [0, 1, 2, 6, 7, 8, 9]
    assert "1 gap(s) in frame numbering; drives cut there (on_gap='split')" in mmlog[-1]


def test_short_video_sources_are_skipped_with_a_count(tmp_path, mmlog):
    from crevdet.datasets import VideoFolderDataset
    for name, n in (('long', 8), ('short', 3)):
        os.makedirs(tmp_path / name)
        for i in range(n):
            cv2.imwrite(str(tmp_path / name / f'{i:06d}.png'), np.zeros((20, 30, 3), np.uint8))
    ds = VideoFolderDataset(str(tmp_path), clip_len=5, frame_size=None)
    assert len(ds) == 4
    assert 'skipped 1 of 2 source(s) shorter than one clip (5 frames)' in mmlog[-1]
    assert 'short (3 frames)' in mmlog[-1]


# ------------------------------------------------------------------------------ 7. tools
def test_misspelled_or_ineffective_cfg_options_are_refused(tmp_path):
    with pytest.raises(SystemExit, match="no top-level key 'trian_dataloader'.*did you mean "
                                         "'train_dataloader'"):
        _train_cfg([TINY, '--work-dir', str(tmp_path), '--cfg-options',
                    'trian_dataloader.batch_size=2'])
    with pytest.raises(SystemExit, match="changes only the variable 'data_root'.*"
                                         r'train_dataloader\.dataset\.data_root'):
        _train_cfg([TINY, '--work-dir', str(tmp_path), '--cfg-options', 'data_root=/x'])


def test_cfg_option_values_keep_their_spaces(tmp_path):
    cfg = _train_cfg([TINY, '--work-dir', str(tmp_path), '--cfg-options',
                      'train_dataloader.dataset.data_root=/data/my drive/kitti raw/',
                      'train_dataloader.dataset.frame_size=[16, 24]', 'load_strict=False'])
    assert cfg.train_dataloader.dataset.data_root == '/data/my drive/kitti raw/'
    assert cfg.train_dataloader.dataset.frame_size == [16, 24] and cfg.load_strict is False


def _predict(argv):
    return load_tool('tools/predict.py').main(argv)


def test_predict_refuses_a_detector_checkpoint(tmp_path):
    from mmengine.config import Config
    cfg = Config.fromfile(TINY_SSD)
    path = str(tmp_path / 'epoch_1.pth')
    torch.save(dict(state_dict={}, meta=dict(cfg=cfg.pretty_text)), path)
    with pytest.raises(SystemExit, match=r'holds a SingleStageDetector.*not a video predictor.*'
                                         r'tools/test\.py'):
        _predict([path, str(tmp_path), '--out-dir', str(tmp_path / 'out')])


def test_predict_reports_a_truncated_video(tmp_path):
    from mmengine.config import Config

    from crevdet.models import CrevNet
    net = CrevNet(**TINY_CREVNET)
    cfg = Config(dict(model=dict(type='CrevNet', **TINY_CREVNET),
                      test_dataloader=dict(dataset=dict(frame_size=(32, 48)))))
    ckpt = str(tmp_path / 'iter_2.pth')
    torch.save(dict(state_dict=net.state_dict(), meta=dict(cfg=cfg.pretty_text)), ckpt)
    video = str(tmp_path / 'clip.avi')
    vw = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 10, (64, 48))
    for _ in range(38):
        vw.write(np.random.default_rng(0).integers(0, 255, (48, 64, 3), np.uint8))
    vw.release()
    data = open(video, 'rb').read()
    open(video, 'wb').write(data[:len(data) * 55 // 100])
    with pytest.raises(SystemExit, match=r'announces 38 frames but only \d+ decode.*'
                                         r'--allow-truncated'):
        _predict([ckpt, video, '--out-dir', str(tmp_path / 'a'), '--device', 'cpu'])
    _predict([ckpt, video, '--out-dir', str(tmp_path / 'b'), '--device', 'cpu',
              '--allow-truncated'])
    assert 10 < len(glob.glob(str(tmp_path / 'b' / 'frames' / '*.png'))) < 38 - 3


def test_demo_children_show_live_progress_with_stage_and_time(tmp_path, capfd, monkeypatch):
    from crevdet.apis.transfer import ToolFailed, run_tool
    demo = load_tool('tools/demo.py')
    # the clock starts when the demo does; the module may have been imported minutes earlier
    demo.log.start()
    child = ("import time\nfor i in (1, 2):\n"
             "    print(f'x - mmengine - INFO - Iter(train) [{i}/2] loss: 0.5')\n"
             "    time.sleep(0.2)\n")
    run_tool(['-c', child], str(tmp_path / 'child.log'), '2/3 pretraining crevnet (4 iters)',
             demo.log)
    out = capfd.readouterr().out
    assert '[2/3 pretraining crevnet]' in out and 'Iter(train) [2/2] loss: 0.5' in out
    assert '[demo ' in out and ' +00:0' in out  # the demo's elapsed time on every line
    assert 'Iter(train) [1/2]' in open(tmp_path / 'child.log').read()
    with pytest.raises(ToolFailed, match=r'failed \(exit 3\); see .*bad\.log'):
        run_tool(['-c', 'raise SystemExit(3)'], str(tmp_path / 'bad.log'), 'step', demo.log)
