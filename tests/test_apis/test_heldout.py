"""The held-out split of a demo world (crevdet/apis/heldout.py, tools/analysis_tools/
heldout_test.py): the same world bit for bit plus new images, and clear errors otherwise."""
import json
import os
import os.path as osp

import pytest
from conftest import load_tool

import crevdet.apis.heldout as heldout_api
from crevdet.apis.heldout import SPLIT, WorldMismatch, read_world, write_heldout_world
from crevdet.datasets.synthetic_kitti import make_synthetic_kitti

WORLD = dict(seed=3, size=(94, 310), raw_drives=2, raw_frames=3, det_train=3, det_val=2,
             camera='moving')


def _world(tmp_path, name='w'):
    d = str(tmp_path / name)
    make_synthetic_kitti(d, **WORLD)
    open(osp.join(d, '.complete'), 'w').write('seed=3 camera=moving\n')
    return d


def _ids(obj, split):
    return open(osp.join(obj, 'ImageSets', f'{split}.txt')).read().split()


def test_read_world_recovers_the_generator_arguments(tmp_path):
    assert read_world(_world(tmp_path)) == WORLD


def test_heldout_world_is_the_same_world_plus_new_images(tmp_path):
    d = _world(tmp_path)
    obj = write_heldout_world(d, 4, str(tmp_path / 'h'))
    assert _ids(obj, 'val') == _ids(osp.join(d, 'object'), 'val') == ['000003', '000004']
    assert open(osp.join(obj, SPLIT)).read().split() == ['000005', '000006', '000007', '000008']
    for i in ('000000', '000004'):  # train and val images equal the original's
        for rel in (f'training/image_2/{i}.png', f'training/label_2/{i}.txt',
                    f'training/prev_2/{i}_01.png'):
            assert open(osp.join(obj, rel), 'rb').read() == \
                open(osp.join(d, 'object', rel), 'rb').read()
    labels = [open(osp.join(obj, 'training', 'label_2', f'00000{k}.txt')).read()
              for k in range(5, 9)]
    assert all(labels) and len(set(labels)) == 4  # new, labelled, different images
    # written once: the same call reuses it, another size of split is refused
    assert write_heldout_world(d, 4, str(tmp_path / 'h')) == obj
    with pytest.raises(FileExistsError, match='heldout=4'):
        write_heldout_world(d, 5, str(tmp_path / 'h'))


def test_a_changed_world_is_refused_naming_the_file(tmp_path):
    d = _world(tmp_path)
    label = osp.join(d, 'object', 'training', 'label_2', '000001.txt')
    open(label, 'a').write('Car 0.00 0 0 1 1 20 20 1 1 1 0 0 0 0\n')
    with pytest.raises(WorldMismatch, match='training/label_2/000001.txt'):
        write_heldout_world(d, 1, str(tmp_path / 'h'))


def test_a_folder_without_the_demo_marker_is_refused(tmp_path):
    d = _world(tmp_path)
    os.remove(osp.join(d, '.complete'))
    with pytest.raises(FileNotFoundError, match='not a finished demo world'):
        write_heldout_world(d, 1, str(tmp_path / 'h'))
    with pytest.raises(ValueError, match='at least 1'):
        write_heldout_world(d, 0, str(tmp_path / 'h'))
    open(osp.join(d, '.complete'), 'w').write('garbage\n')
    with pytest.raises(ValueError, match=r"\.complete: expected 'seed=N camera=C', got 'garbage"):
        write_heldout_world(d, 1, str(tmp_path / 'h'))


def _tool():
    return load_tool('tools/analysis_tools/heldout_test.py')


def _metrics(m):
    out = {'kitti/mAP_R40': m, 'kitti/mAP_R11': m + 1}
    out.update({f'kitti/{c}_moderate_R40': m / 2 for c in ('Car', 'Pedestrian', 'Cyclist')})
    return out


def test_tables_give_both_splits_and_the_margins():
    tool = _tool()
    res = {'random': dict(val=_metrics(10.0), heldout=_metrics(20.0)),
           'pretrained': dict(val=_metrics(15.0), heldout=_metrics(30.5))}
    text = tool.table(res, 600, 'T')
    assert '| pretrained | 15.00 | 30.50 / 31.50 | 15.25 / 15.25 / 15.25 |' in text
    assert text.index('| pretrained |') < text.index('| (a) random |')  # the ENTRIES order
    assert 'val, mAP R40: (a) random +5.00' in text
    assert 'held-out (600), mAP R40: (a) random +10.50' in text
    runs = tool.across_runs({'run1': res, 'run2': {'pretrained': res['pretrained']}}, 600)
    assert '| run1 | 30.50 | 20.00 | (a) +10.50 |' in runs
    assert '| run2 | 30.50 | - | - |' in runs


def test_cli_names_what_a_run_folder_lacks(tmp_path):
    heldout_test = _tool()
    with pytest.raises(SystemExit, match='no summary.json, results.json or sweep.json'):
        heldout_test.main([str(tmp_path)])
    json.dump({'pretrained': {'kitti/mAP_R40': 1.0, 'checkpoint': str(tmp_path / 'gone.pth')}},
              open(tmp_path / 'summary.json', 'w'))
    open(tmp_path / 'pretrained.py', 'w').write('x = 1\n')
    with pytest.raises(SystemExit, match="checkpoint of 'pretrained'.*gone.pth.*missing"):
        heldout_test.main([str(tmp_path)])
    with pytest.raises(SystemExit, match=r"no tested entry \['random'\]"):
        heldout_test.main([str(tmp_path), '--entries', 'random'])


def test_cli_reads_transfer_table_runs(tmp_path):
    ckpt = tmp_path / 'c.pth'
    ckpt.write_bytes(b'')
    json.dump({'random': {'kitti/mAP_R40': 2.0, 'checkpoint': str(ckpt)}},
              open(tmp_path / 'results.json', 'w'))
    json.dump({'40': {'kitti/mAP_R40': 3.0, 'checkpoint': str(ckpt)}},
              open(tmp_path / 'sweep.json', 'w'))
    for name in ('random', 'pretrained_iter40'):
        open(tmp_path / f'{name}.py', 'w').write('x = 1\n')
    found = _tool().run_entries(str(tmp_path))
    assert sorted(found) == ['pretrained_iter40', 'random']
    assert found['pretrained_iter40'][2]['kitti/mAP_R40'] == 3.0


def test_demo_heldout_tests_every_detector_on_the_new_images(tmp_path, monkeypatch):
    d = _world(tmp_path)
    run = tmp_path / 'run'
    run.mkdir()
    calls = []

    def fake_eval(cfg, ckpt, obj, work_dir, log):
        calls.append((osp.basename(cfg), ckpt, open(osp.join(obj, SPLIT)).read().split()))
        return _metrics(30.0 if 'pretrained' in cfg else 20.0)
    monkeypatch.setattr(heldout_api, 'evaluate_on_heldout', fake_eval)
    results = {'pretrained': {'checkpoint': 'p.pth', 'train_seconds': 12.0},
               'random': {'checkpoint': 'r.pth', 'train_seconds': 11.0},
               'pretraining_seconds': {'crevnet': 1.0}}
    load_tool('tools/demo.py').heldout(results, d, 2, str(run), 'AP on the synthetic val split')
    assert calls == [('pretrained.py', 'p.pth', ['000005', '000006']),
                     ('random.py', 'r.pth', ['000005', '000006'])]
    text = open(run / 'heldout.md').read()
    assert text.startswith('AP on 2 held-out images of the same world')
    assert '(a) random: **+10.00**' in text
    assert '| detector training, s | 12.00 | 11.00 |' in text
    assert json.load(open(run / 'heldout.json'))['random']['kitti/mAP_R40'] == 20.0
