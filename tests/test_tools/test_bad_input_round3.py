"""The third bad-input round (issue 44): a file where a folder is expected, a checkpoint that
cannot be read, and a cut-short index, cache or results file each end a tool with one
``error: ...`` line naming the file and what was expected. None ends in a traceback, and the
user's file is left unchanged."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from conftest import TINY_SSD, fake_digits, load_tool, make_kitti_raw, write_idx
from conftest import TINY_PRETRAIN as TINY

import crevdet.cli.test as test_tool  # what tools/test.py runs
import crevdet.cli.train as train_tool  # what tools/train.py runs
browse_tool = load_tool('tools/analysis_tools/browse_dataset.py')
det_fps_tool = load_tool('tools/analysis_tools/det_fps.py')
cache_tool = load_tool('tools/dataset_converters/build_frame_cache.py')
MINE = 'my notes\n'
LABEL = 'Car 0.00 0 -1.58 10.00 5.00 50.00 30.00 1.5 1.6 3.9 1.0 1.7 20.0 -1.5\n'


def _exit(call):
    with pytest.raises(SystemExit) as e:
        call()
    return str(e.value.code)


@pytest.fixture
def notes(tmp_path):
    """The user's own file, given where a folder is expected."""
    f = tmp_path / 'notes.txt'
    f.write_text(MINE)
    yield f
    assert f.read_text() == MINE  # never overwritten, moved or written under


def _ckpt(tmp_path, name='weights.pth'):
    path = str(tmp_path / name)
    torch.save(dict(state_dict=dict(w=torch.ones(2)), meta=dict(iter=2)), path)
    return path


def _truncated_ckpt(tmp_path):
    path = str(tmp_path / 'cut.pth')
    torch.save(dict(state_dict=dict(w=torch.ones(5000)), meta=dict(iter=2), message_hub={}),
               path)
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2])
    return path, data[:len(data) // 2]


def _kitti_object(root, ids=(0, 1), split=('000000', '000001')):
    """A KITTI object tree (images, 3 previous frames, labels) whose split files list
    ``split``."""
    for sub in ('image_2', 'prev_2', 'label_2'):
        os.makedirs(osp.join(root, 'training', sub), exist_ok=True)
    os.makedirs(osp.join(root, 'ImageSets'), exist_ok=True)
    for i in ids:
        img = np.full((64, 96, 3), 40 * i, np.uint8)
        cv2.imwrite(osp.join(root, 'training', 'image_2', f'{i:06d}.png'), img)
        for s in ('01', '02', '03'):
            cv2.imwrite(osp.join(root, 'training', 'prev_2', f'{i:06d}_{s}.png'), img)
        with open(osp.join(root, 'training', 'label_2', f'{i:06d}.txt'), 'w') as f:
            f.write(LABEL)
    for name in ('train', 'val'):
        with open(osp.join(root, 'ImageSets', f'{name}.txt'), 'w') as f:
            f.write('\n'.join(split) + '\n')
    return str(root) + '/'


# ------------------------------------------------------- 1. a file where a folder is expected
def test_test_py_output_paths_on_a_file_are_refused_before_testing(tmp_path, notes):
    ckpt = _ckpt(tmp_path)
    work = ['--work-dir', str(tmp_path / 'w')]
    assert _exit(lambda: test_tool.main([TINY_SSD, ckpt, *work, '--show-dir', str(notes)])) \
        == f'error: --show-dir {notes}: {notes} is a file, not a folder'
    assert _exit(lambda: test_tool.main([TINY_SSD, ckpt, *work, '--format-only',
                                         '--outfile-prefix', str(notes)])) == \
        f'error: --outfile-prefix {notes}: {notes} is a file, not a folder'
    assert _exit(lambda: test_tool.main([TINY_SSD, ckpt, *work, '--dump-detections',
                                         str(notes / 'd.json')])) == \
        (f'error: --dump-detections {notes}/d.json: {notes} is a file, not a folder, so '
         'nothing can be written under it')
    assert _exit(lambda: test_tool.main([TINY_SSD, ckpt, *work, '--out',
                                         str(notes / 'r.pkl')])) == \
        (f'error: --out {notes}/r.pkl: {notes} is a file, not a folder, so nothing can be '
         'written under it')
    assert not osp.exists(tmp_path / 'w')


def test_submission_folder_holding_files_is_refused_before_testing(tmp_path):
    earlier = tmp_path / 'submission'
    earlier.mkdir()
    (earlier / '000000.txt').write_text(LABEL)
    msg = _exit(lambda: test_tool.main([TINY_SSD, _ckpt(tmp_path), '--work-dir',
                                        str(tmp_path / 'w'), '--format-only',
                                        '--outfile-prefix', str(earlier)]))
    assert msg == (f'error: --outfile-prefix {earlier} already holds files; pass a new or '
                   'empty folder (a submission is never written over another)')
    assert os.listdir(earlier) == ['000000.txt'] and (earlier / '000000.txt').read_text() == LABEL


def test_browse_dataset_out_dir_under_a_file(notes):
    assert _exit(lambda: browse_tool.main([TINY_SSD, '--out-dir', str(notes / 'sub')])) == \
        f'error: --out-dir {notes}/sub: {notes} is a file, not a folder'
    assert _exit(lambda: browse_tool.main([TINY_SSD, '--out-dir', str(notes)])) == \
        f'error: --out-dir {notes} is an existing file; pass a new folder'


def test_analysis_tools_refuse_a_file_as_work_dir(tmp_path, notes):
    ckpt = _ckpt(tmp_path)
    write_idx(str(tmp_path / 't10k-images-idx3-ubyte.gz'), fake_digits(20))
    expect = f'error: --work-dir {notes}: {notes} is a file, not a folder'
    for tool, args in (
            ('ablation', [TINY, '--iters', '1', '--data-root', str(tmp_path)]),
            ('learning_curves', [TINY, '--iters', '1', '--data-root', str(tmp_path)]),
            ('learning_curves', ['--merge', str(tmp_path)]),
            ('benchmark', [TINY, '--settings', '16x16_2to1_c1']),
            ('transfer_table', [TINY, TINY_SSD, '--object-root', str(tmp_path), '--checkpoint',
                                ckpt, '--entries', 'pretrained'])):
        module = load_tool(f'tools/analysis_tools/{tool}.py')
        assert _exit(lambda: module.main(args + ['--work-dir', str(notes)])) == expect, tool
    heldout = load_tool('tools/analysis_tools/heldout_test.py')
    assert _exit(lambda: heldout.main([str(tmp_path), '--data-dir', str(notes / 'w')])) == \
        f'error: --data-dir {notes}/w: {notes} is a file, not a folder'
    assert sorted(os.listdir(tmp_path)) == ['notes.txt', 't10k-images-idx3-ubyte.gz',
                                            'weights.pth']


def test_build_frame_cache_out_on_a_file(tmp_path, notes):
    raw = make_kitti_raw(str(tmp_path / 'raw'), {'2011_09_26_drive_0001_sync': 4})
    for out in (notes, notes / 'cache'):
        assert _exit(lambda: cache_tool.main(['kitti_raw', raw, '--out', str(out),
                                              '--frame-size', '16', '16'])) == \
            f'error: --out {out}: {notes} is a file, not a folder'
    # a data root that is a file, not the layout: the dataset's own line, not a traceback
    msg = _exit(lambda: cache_tool.main(['kitti_raw', str(notes)]))
    assert msg.startswith(f"error: no KITTI raw frames found under '{notes}'; expected the raw "
                          'layout'), msg
    msg = _exit(lambda: cache_tool.main(['video_folder', str(notes)]))
    assert msg == f"error: '{notes}' is not a video file (.mp4/.avi/.mov/.mkv)"
    assert not osp.exists(osp.join(raw, 'frame_cache'))


@pytest.mark.parametrize('sub', ['training', 'ImageSets'])
def test_kitti_converter_refuses_a_file_where_it_makes_a_folder(tmp_path, sub):
    src = _kitti_object(str(tmp_path / 'download'))
    out = tmp_path / 'data'
    os.makedirs(out / 'kitti' / 'object')
    (out / 'kitti' / 'object' / sub).write_text(MINE)
    kitti = load_tool('tools/dataset_converters/kitti.py')
    msg = _exit(lambda: kitti.main(['--object', src, '--out-root', str(out)]))
    assert msg == f'error: {out}/kitti/object/{sub} is a file; --out-root needs a folder there'
    assert os.listdir(out / 'kitti' / 'object') == [sub]  # nothing linked before stopping
    assert (out / 'kitti' / 'object' / sub).read_text() == MINE


def test_output_file_given_a_folder_or_under_a_file(tmp_path, notes):
    memory = load_tool('tools/analysis_tools/crevnet_memory.py')
    assert _exit(lambda: memory.main(['--out', str(tmp_path)])) == \
        f'error: --out {tmp_path} is a folder; pass a file name'
    assert _exit(lambda: memory.main(['--out', str(notes / 'm.json')])) == \
        (f'error: --out {notes}/m.json: {notes} is a file, not a folder, so nothing can be '
         'written under it')


def test_folder_where_a_file_is_expected_and_file_where_a_folder_is(tmp_path, notes):
    publish = load_tool('tools/model_converters/publish_model.py')
    assert _exit(lambda: publish.main([str(tmp_path), str(tmp_path / 'out.pth')])) == \
        f'error: {tmp_path} is a folder; pass the training checkpoint file (.pth) to publish'
    prev = load_tool('tools/analysis_tools/check_prev_order.py')
    assert _exit(lambda: prev.main([str(notes)])) == \
        (f'error: {notes} is not a folder; expected the KITTI object training folder holding '
         'image_2/ and prev_2/')
    assert not osp.exists(tmp_path / 'out.pth')


# -------------------------------------------------------------------- 2. checkpoints
def test_det_fps_and_transfer_table_read_the_checkpoint_first(tmp_path):
    cut, data = _truncated_ckpt(tmp_path)
    msg = _exit(lambda: det_fps_tool.main([TINY_SSD, cut]))
    assert msg.startswith(f'error: CKPT: checkpoint {cut} is truncated or corrupt'), msg
    assert 'use an earlier checkpoint' in msg
    assert 'does not exist' in _exit(lambda: det_fps_tool.main([TINY_SSD, cut + '.nope']))
    transfer = load_tool('tools/analysis_tools/transfer_table.py')
    work = tmp_path / 'table'
    msg = _exit(lambda: transfer.main([TINY, TINY_SSD, '--object-root', str(tmp_path),
                                       '--checkpoint', cut, '--entries', 'pretrained',
                                       '--work-dir', str(work)]))
    assert msg.startswith(f'error: --checkpoint: checkpoint {cut} is truncated or corrupt'), msg
    assert not osp.exists(work)  # no run folder, no detector trained on it
    assert open(cut, 'rb').read() == data


# ------------------------------------------------ 3. cut-short index, cache and result files
def test_split_file_naming_a_missing_image_is_one_error_line(tmp_path, monkeypatch):
    root = _kitti_object(str(tmp_path / 'kitti'), split=('000000', '000001', '000007'))
    monkeypatch.setenv('CREVDET_TEST_DATA', root)
    index = open(osp.join(root, 'ImageSets', 'val.txt')).read()

    def expect(split):
        return (f'error: KITTI image {root}training/image_2/000007.png (listed in '
                f'{root}ImageSets/{split}.txt) not found')
    assert _exit(lambda: test_tool.main([TINY_SSD, _ckpt(tmp_path), '--work-dir',
                                         str(tmp_path / 'w')])) == expect('val')
    assert _exit(lambda: det_fps_tool.main([TINY_SSD])) == expect('val')
    assert _exit(lambda: browse_tool.main([TINY_SSD, '--out-dir', str(tmp_path / 'b')])) == \
        expect('train')
    assert not osp.exists(tmp_path / 'b')
    assert _exit(lambda: train_tool.main([TINY_SSD, '--work-dir', str(tmp_path / 't')])) == \
        expect('train')
    assert open(osp.join(root, 'ImageSets', 'val.txt')).read() == index


def test_damaged_frame_cache_is_one_error_line(tmp_path, monkeypatch):
    raw = make_kitti_raw(str(tmp_path / 'raw'), {'2011_09_26_drive_0001_sync': 8})
    cache_tool.main(['kitti_raw', raw, '--frame-size', '32', '48'])
    manifest = osp.join(raw, 'frame_cache', 'manifest.json')
    text = open(manifest).read()
    open(manifest, 'w').write(text[:len(text) // 2])  # a write cut short
    monkeypatch.setenv('CREVDET_TEST_DATA', raw)
    expect = f'error: {manifest} is not readable JSON ('
    msg = _exit(lambda: browse_tool.main([TINY, '--out-dir', str(tmp_path / 'b')]))
    assert msg.startswith(expect) and 'the frame cache is damaged. Rebuild it' in msg, msg
    msg = _exit(lambda: train_tool.main([TINY, '--work-dir', str(tmp_path / 't'),
                                         '--cfg-options', 'train_cfg.max_iters=1']))
    assert msg.startswith(expect) and 'the frame cache is damaged. Rebuild it' in msg, msg
    msg = _exit(lambda: cache_tool.main(['kitti_raw', raw, '--frame-size', '32', '48']))
    assert msg == (f'error: {raw}/frame_cache already holds a frame cache (manifest.json); '
                   'remove the folder to rebuild it')
    assert open(manifest).read() == text[:len(text) // 2]


def test_truncated_mnist_in_the_budget_tools(tmp_path):
    whole = str(tmp_path / 'whole.gz')
    write_idx(whole, fake_digits(40))
    data = open(whole, 'rb').read()
    root = tmp_path / 'mnist'
    root.mkdir()
    cut = root / 't10k-images-idx3-ubyte.gz'
    cut.write_bytes(data[:len(data) // 2])
    for tool in ('ablation', 'learning_curves'):
        module = load_tool(f'tools/analysis_tools/{tool}.py')
        msg = _exit(lambda: module.main([TINY, '--iters', '1', '--data-root', str(root),
                                         '--work-dir', str(tmp_path / tool)]))
        assert msg.startswith(f"error: cannot read MNIST file '{cut}'"), (tool, msg)
        assert 'truncated or corrupt: download it again' in msg
    assert cut.read_bytes() == data[:len(data) // 2]


def test_cut_short_curves_json_in_learning_curves_merge(tmp_path):
    lc = load_tool('tools/analysis_tools/learning_curves.py')
    run = tmp_path / 'run'
    run.mkdir()
    (run / 'curves.json').write_text('{"data": "mmnist", "rows": [{"model": "a", "mse": 1')
    msg = _exit(lambda: lc.main(['--merge', str(run), '--work-dir', str(tmp_path / 'w')]))
    assert msg.startswith(f'error: {run}/curves.json is not readable JSON (') and \
        msg.endswith('cut short or damaged? expected the curves.json of a learning_curves.py '
                     'run'), msg
    (run / 'curves.json').write_text('[1, 2]')
    assert _exit(lambda: lc.main(['--merge', str(run), '--work-dir', str(tmp_path / 'w')])) == \
        (f'error: {run}/curves.json holds a JSON list; expected the curves.json of a '
         'learning_curves.py run (a JSON object)')
    assert not osp.exists(tmp_path / 'w')


def test_cut_short_run_files_in_heldout_test(tmp_path):
    heldout = load_tool('tools/analysis_tools/heldout_test.py')
    run = tmp_path / 'run'
    run.mkdir()
    ckpt = _ckpt(tmp_path)
    cut = '{"pretrained": {"checkpoint": "' + ckpt[:10]
    (run / 'summary.json').write_text(cut)
    msg = _exit(lambda: heldout.main([str(run)]))
    assert msg.startswith(f'error: {run}/summary.json is not readable JSON (') and \
        msg.endswith('expected the results of a tools/demo.py or transfer_table.py run'), msg
    assert (run / 'summary.json').read_text() == cut
    # the entry's dumped config cut short: named with its line, as every config reader does
    (run / 'summary.json').write_text('{"pretrained": {"checkpoint": "%s"}}' % ckpt)
    (run / 'pretrained.py').write_text("model = dict(type='X',\n    backbone=dict(")
    msg = _exit(lambda: heldout.main([str(run)]))
    assert msg.startswith(f'error: entry config {run}/pretrained.py:2: syntax error'), msg
    assert sorted(os.listdir(run)) == ['pretrained.py', 'summary.json']


def test_dataset_errors_keeps_the_traceback_of_anything_else(tmp_path):
    from crevdet.datasets.kitti_labels import read_text_lines
    from crevdet.cli.common import dataset_errors
    latin = tmp_path / 'val.txt'
    latin.write_bytes(b'caf\xe9\n')
    with pytest.raises(SystemExit, match=rf'^error: split file {latin} is not UTF-8 text'):
        with dataset_errors():
            read_text_lines(str(latin), 'split file')
    with pytest.raises(ValueError, match='a bug'):  # raised outside crevdet/datasets
        with dataset_errors():
            raise ValueError('a bug')
