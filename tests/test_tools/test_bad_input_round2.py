"""The second bad-input round (issue 32): each case is a clear error naming the file or field
and what was expected (or the correct result), never a raw traceback or a silent result."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from conftest import TINY_CREVNET, TINY_SSD, fake_digits, load_tool, make_kitti_raw, write_idx
from conftest import TINY_PRETRAIN as TINY

import crevdet.cli.train as train_tool  # what tools/train.py runs
import crevdet.cli.test as test_tool  # what tools/test.py runs
predict_tool = load_tool('tools/predict.py')
detect_tool = load_tool('tools/detect_video.py')


def _exit(call):
    with pytest.raises(SystemExit) as e:
        call()
    return str(e.value.code)


def _frames(folder, n=5, ext='.png', size=(32, 48)):
    os.makedirs(folder, exist_ok=True)
    for i in range(n):
        cv2.imwrite(osp.join(folder, f'{i:06d}{ext}'), np.full(size + (3, ), 30 * i, np.uint8))
    return str(folder)


def _predictor_ckpt(tmp_path, nan=False):
    from mmengine.config import Config

    from crevdet.models import CrevNet
    state = CrevNet(**TINY_CREVNET).state_dict()
    if nan:
        next(v for v in state.values() if v.is_floating_point()).fill_(float('nan'))
    cfg = Config(dict(model=dict(type='CrevNet', **TINY_CREVNET),
                      test_dataloader=dict(dataset=dict(frame_size=(32, 48)))))
    path = str(tmp_path / ('nan.pth' if nan else 'iter_2.pth'))
    torch.save(dict(state_dict=state, meta=dict(cfg=cfg.pretty_text)), path)
    return path


# ---------------------------------------------------------------------------- configs
def test_config_syntax_error_names_file_and_line_in_every_tool(tmp_path):
    bad = tmp_path / 'broken.py'
    bad.write_text("model = dict(type='CrevNet'\nx = 1\n")
    frames = _frames(tmp_path / 'f')
    ckpt = _predictor_ckpt(tmp_path)
    expect = f'error: config {bad}:1: syntax error:'
    for call in (lambda: train_tool.build_cfg(train_tool.parse_args([str(bad)])),
                 lambda: test_tool.main([str(bad), ckpt]),
                 lambda: predict_tool.main([ckpt, frames, '--config', str(bad)]),
                 lambda: detect_tool.main([str(bad), ckpt, frames])):
        msg = _exit(call)
        assert msg.startswith(expect) and "model = dict(type='CrevNet'" in msg, msg
    # the analysis tools read configs the same way (mmengine alone says File "<unknown>")
    write_idx(str(tmp_path / 't10k-images-idx3-ubyte.gz'), fake_digits(20))
    for tool, args in (('ablation', [str(bad), '--iters', '2', '--data-root', str(tmp_path)]),
                       ('benchmark', [str(bad)]),
                       ('browse_dataset', [str(bad)]), ('det_fps', [str(bad)]),
                       ('learning_curves', [str(bad), '--iters', '2', '--data-root',
                                            str(tmp_path)]),
                       ('transfer_table', [str(bad), str(bad), '--raw-root', str(tmp_path),
                                           '--object-root', str(tmp_path)])):
        module = load_tool(f'tools/analysis_tools/{tool}.py')
        msg = _exit(lambda: module.main(args))
        assert expect in msg, (tool, msg)
    child = tmp_path / 'child.py'
    child.write_text(f"_base_ = '{bad}'\n")
    msg = _exit(lambda: train_tool.build_cfg(train_tool.parse_args([str(child)])))
    assert msg.startswith(f'error: base config of {child} {bad}:1: syntax error'), msg


def test_a_config_mmengine_refuses_is_named_not_a_traceback(tmp_path):
    from crevdet.cli.common import read_config
    (tmp_path / 'a.py').write_text('x = 1\n')
    (tmp_path / 'b.py').write_text('x = 2\n')
    both = tmp_path / 'both.py'
    both.write_text("_base_ = ['a.py', 'b.py']\n")
    msg = _exit(lambda: read_config(str(both)))
    assert msg.startswith(f'error: config {both}: KeyError') and 'Duplicate key' in msg, msg
    raising = tmp_path / 'raising.py'
    raising.write_text("x = 1 / 0\n")
    msg = _exit(lambda: read_config(str(raising)))
    assert msg.startswith(f'error: config {raising}: ZeroDivisionError'), msg


def test_scoped_config_names_in_every_reader():
    from crevdet.pretrain_configs import resolve_config_path
    from crevdet.paths import CONFIG_ROOT
    from crevdet.cli.common import read_config
    assert resolve_config_path('crevdet::demo/pretrain_demo.py') == \
        osp.join(CONFIG_ROOT, 'demo', 'pretrain_demo.py')
    assert read_config('crevdet::demo/pretrain_demo.py').model.type == 'CrevNet'
    msg = _exit(lambda: read_config('crevdet::demo/nope.py'))
    assert msg.startswith('error: ') and 'not a shipped config' in msg, msg
    msg = _exit(lambda: read_config('mmdet::ssd/ssd300_coco.py'))
    assert 'only the crevdet:: scope' in msg, msg


def test_existing_file_as_output_folder_is_refused(tmp_path):
    f = tmp_path / 'notes.txt'
    f.write_text('mine')
    ckpt = _predictor_ckpt(tmp_path)
    frames = _frames(tmp_path / 'f')
    assert _exit(lambda: train_tool.build_cfg(train_tool.parse_args(
        [TINY, '--work-dir', str(f)]))) == f'error: --work-dir {f}: {f} is a file, not a folder'
    assert _exit(lambda: test_tool.main([TINY_SSD, ckpt, '--work-dir', str(f / 'sub')])) == \
        f'error: --work-dir {f}/sub: {f} is a file, not a folder'
    assert _exit(lambda: predict_tool.main([ckpt, frames, '--out-dir', str(f)])) == \
        f'error: --out-dir {f} is an existing file; pass a new folder'
    assert 'is a file, not a folder' in _exit(lambda: detect_tool.main(
        [TINY_SSD, ckpt, frames, '--out-dir', str(f / 'out')]))
    assert f.read_text() == 'mine'


def test_cfg_option_with_a_comma_where_a_string_is_expected(tmp_path):
    msg = _exit(lambda: train_tool.build_cfg(train_tool.parse_args(
        [TINY, '--work-dir', str(tmp_path), '--cfg-options',
         'train_dataloader.dataset.data_root=/data/a,b'])))
    assert "the comma makes the value a list ['/data/a', 'b']" in msg
    assert 'train_dataloader.dataset.data_root="/data/a,b"' in msg
    cfg = train_tool.build_cfg(train_tool.parse_args(
        [TINY, '--work-dir', str(tmp_path), '--cfg-options',
         'train_dataloader.dataset.data_root="/data/a,b"']))
    assert cfg.train_dataloader.dataset.data_root == '/data/a,b'


# --------------------------------------------------------------------------- frames
@pytest.mark.parametrize('flag,value', [('--frame-step', '0'), ('--frame-step', '-1'),
                                        ('--max-frames', '-3'), ('--max-frames', '0')])
def test_frame_step_and_max_frames_must_be_positive(tmp_path, flag, value):
    frames = _frames(tmp_path / 'f')
    ckpt = _predictor_ckpt(tmp_path)
    msg = _exit(lambda: detect_tool.main([TINY_SSD, ckpt, frames, flag, value]))
    assert msg == f'error: {flag} must be >= 1, got {value}'
    if flag == '--frame-step':
        assert _exit(lambda: predict_tool.main([ckpt, frames, flag, value])) == msg
    from crevdet.datasets.video_folder import FrameReader
    with pytest.raises(ValueError, match=rf'{flag[2:].replace("-", "_")} must be'):
        FrameReader(frames, **{flag[2:].replace('-', '_'): int(value)})


def test_frame_folder_holding_each_frame_twice(tmp_path):
    from crevdet.datasets import VideoFolderDataset
    from crevdet.datasets.video_folder import FrameReader
    folder = _frames(tmp_path / 'clip', 4, '.png')
    _frames(folder, 4, '.jpg')
    with pytest.raises(ValueError, match=r'clip: 4 frame\(s\) stored twice \(000000\.jpg and '
                                         r'000000\.png.*keep one file per frame'):
        VideoFolderDataset(str(tmp_path), clip_len=3, frame_size=None)
    with pytest.raises(ValueError, match='stored twice'):
        FrameReader(folder)


def test_truncated_jpeg_frame_is_an_error_not_grey(tmp_path):
    from crevdet.datasets import VideoFolderDataset
    folder = _frames(tmp_path / 'clip', 4, '.jpg', size=(64, 96))
    victim = osp.join(folder, '000002.jpg')  # noise: libjpeg decodes its first part, greys the rest
    cv2.imwrite(victim, np.random.default_rng(0).integers(0, 255, (64, 96, 3), np.uint8))
    data = open(victim, 'rb').read()
    open(victim, 'wb').write(data[:len(data) * 2 // 3])
    ds = VideoFolderDataset(str(tmp_path), clip_len=4, frame_size=None)
    with pytest.raises(OSError, match=r'000002\.jpg is a truncated JPEG'):
        ds[0]
    frames = _frames(tmp_path / 'f2', 5, '.jpg')
    os.replace(victim, osp.join(frames, '000004.jpg'))
    msg = _exit(lambda: predict_tool.main([_predictor_ckpt(tmp_path), frames, '--out-dir',
                                           str(tmp_path / 'out'), '--device', 'cpu']))
    assert '000004.jpg is a truncated JPEG' in msg and not osp.exists(tmp_path / 'out')


def test_data_root_with_glob_characters(tmp_path):
    from crevdet.datasets import KittiRawVideoDataset
    root = make_kitti_raw(str(tmp_path / 'raw [copy]'), {'2011_09_26_drive_0001_sync': 6})
    ds = KittiRawVideoDataset(root, clip_len=3, split='all', frame_size=None)
    assert len(ds) == 4 and ds[0]['inputs'].shape[0] == 3


# --------------------------------------------------------------------------- labels
def _kitti(tmp_path, n=2, labels=None):
    root = tmp_path / 'kitti'
    os.makedirs(root / 'training' / 'image_2')
    for i in range(n):
        cv2.imwrite(str(root / 'training' / 'image_2' / f'{i:06d}.png'),
                    np.zeros((40, 120, 3), np.uint8))
    if labels is not None:
        os.makedirs(root / 'training' / 'label_2')
        for i, text in labels.items():
            (root / 'training' / 'label_2' / f'{i:06d}.txt').write_bytes(text)
    return str(root) + '/'


def _ds(root, **kw):
    from crevdet.datasets import KittiDetDataset
    return KittiDetDataset(data_root=root, ann_file='', num_prev=0, pipeline=[], **kw)


GOOD = b'Car 0.00 0 -1.58 10.00 5.00 50.00 30.00 1.5 1.6 3.9 1.0 1.7 20.0 -1.5\n'


def test_non_utf8_label_file_names_the_file(tmp_path):
    root = _kitti(tmp_path, 1, {0: b'Caf\xe9 0.00 0 -1.58 10 5 50 30 1.5 1.6 3.9 1 1.7 20 -1.5\n'})
    with pytest.raises(ValueError, match=r'label file .*label_2/000000\.txt is not UTF-8 text '
                                         r'\(invalid .* at byte 3\)'):
        _ds(root)


def test_detection_file_in_label_2_is_not_ground_truth(tmp_path):
    root = _kitti(tmp_path, 1, {0: GOOD.rstrip() + b' 0.93\n'})
    with pytest.raises(ValueError, match=r'000000\.txt:1: 16 fields: a detection result'):
        _ds(root)


def test_val_image_without_its_label_is_an_error_unlabelled_set_is_said(tmp_path, mmlog):
    root = _kitti(tmp_path, 2, {0: GOOD})
    with pytest.raises(FileNotFoundError, match=r'label_2/000001\.txt for image 000001 not found '
                                                r'\(an evaluation would score the image as one '
                                                r'without objects'):
        _ds(root, test_mode=True)
    del mmlog[:]  # only what the unlabelled set says
    ds = _ds(_kitti(tmp_path / 'unlabelled', 2), test_mode=True)  # KITTI's testing split
    assert len(ds) == 2 and any('no label folder' in m and 'only --format-only' in m
                                for m in mmlog)


# ------------------------------------------------------------------------ checkpoints
def test_checkpoint_that_is_a_list(tmp_path):
    from crevdet.checkpoint import CheckpointFileError, load_local_checkpoint
    path = str(tmp_path / 'list.pth')
    torch.save([torch.ones(2)], path)
    with pytest.raises(CheckpointFileError, match=r'list\.pth holds a list, not a dict'):
        load_local_checkpoint(path)
    assert 'list.pth holds a list, not a dict' in _exit(
        lambda: test_tool.main([TINY_SSD, path, '--work-dir', str(tmp_path / 'w')]))


def test_nan_weights_are_refused_not_evaluated_to_ap_zero(tmp_path):
    from mmengine.config import Config

    from crevdet.engine import CrevdetRunner
    from crevdet.models import CrevNetBackbone
    from crevdet.checkpoint.weights import NonFiniteWeightsError
    from crevdet.registry import MODELS
    det = MODELS.build(Config.fromfile(TINY_SSD).model)
    det.init_weights()  # as the Runner does: mmdet's SSDNeck L2Norm weight is empty memory
    state = det.state_dict()
    key = next(k for k, v in state.items() if v.is_floating_point())
    state[key] = torch.full_like(state[key], float('nan'))
    path = str(tmp_path / 'epoch_1.pth')
    torch.save(dict(state_dict=state), path)
    msg = _exit(lambda: test_tool.main([TINY_SSD, path, '--work-dir', str(tmp_path / 'w')]))
    assert f'epoch_1.pth hold NaN or infinite values in 1 tensor(s) ({key})' in msg, msg
    import types

    class Cfg(dict):
        filename = TINY_SSD
    stub = types.SimpleNamespace(model=det, cfg=Cfg(load_strict=True), call_hook=lambda *a, **k:
                                 None, logger=types.SimpleNamespace(info=lambda *a: None))
    with pytest.raises(NonFiniteWeightsError, match='epoch_1.pth hold NaN'):
        CrevdetRunner.load_checkpoint(stub, path)
    nan = _predictor_ckpt(tmp_path, nan=True)
    with pytest.raises(NonFiniteWeightsError, match=r'nan\.pth hold NaN'):
        CrevNetBackbone(model=TINY_CREVNET, init_cfg=dict(type='Pretrained', checkpoint=nan)
                        ).init_weights()
    assert 'nan.pth hold NaN' in _exit(lambda: predict_tool.main(
        [nan, _frames(tmp_path / 'f'), '--out-dir', str(tmp_path / 'p')]))
