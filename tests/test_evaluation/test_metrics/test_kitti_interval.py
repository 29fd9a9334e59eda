"""The margin between two detectors with its paired bootstrap and on disjoint subsets
(crevdet.evaluation.functional.kitti_interval), the detections file that carries a test's
images (KittiMetric(dump_file=...), load_detections) and tools/analysis_tools/map_interval.py."""
import json

import numpy as np
import pytest

from conftest import load_tool
from crevdet.evaluation.functional.kitti import kitti_eval
from crevdet.evaluation.functional.kitti_interval import margin_bootstrap, subset_margins
from crevdet.evaluation.functional.kitti_reference import random_kitti_annotations
from crevdet.evaluation.metrics.kitti_metric import (DUMP_FORMAT, dump_detections,
                                                     load_detections)

tool = load_tool('tools/analysis_tools/map_interval.py')


@pytest.fixture(scope='module')
def data():
    gt, det = random_kitti_annotations(30, seed=3)
    # a worse detector: every other detection of each image dropped
    worse = [d[::2] for d in det]
    return gt, det, worse


def test_bootstrap_of_a_detector_against_itself_is_zero(data):
    gt, det, _ = data
    assert np.array_equal(margin_bootstrap(gt, det, det, n_boot=5), np.zeros(5))


def test_bootstrap_draws_images_with_replacement_the_same_for_both(data):
    gt, det, worse = data
    boot = margin_bootstrap(gt, det, worse, n_boot=20, seed=1)
    assert boot.shape == (20, ) and len(set(boot.round(9))) > 1
    # each draw is the margin on one resample: the first one again by hand
    idx = np.random.default_rng(1).integers(0, 30, 30)
    one = lambda d: kitti_eval([gt[i] for i in idx], [d[i] for i in idx])['mAP_R40']  # noqa: E731
    assert boot[0] == pytest.approx(one(det) - one(worse))
    assert np.array_equal(boot, margin_bootstrap(gt, det, worse, n_boot=20, seed=1))
    # against a detector that finds nothing, each draw's margin is the reference's own mAP
    empty = [[] for _ in gt]
    assert (margin_bootstrap(gt, det, empty, n_boot=5) > 0).all()


def test_subset_margins_cut_disjoint_subsets(data):
    gt, det, worse = data
    sub = subset_margins(gt, det, worse, 7, seed=2)
    assert sub.shape == (4, )  # 30 // 7; two images left out
    order = np.random.default_rng(2).permutation(30)
    for k, s in enumerate(range(0, 28, 7)):
        idx = order[s:s + 7]
        want = (kitti_eval([gt[i] for i in idx], [det[i] for i in idx])['mAP_R40'] -
                kitti_eval([gt[i] for i in idx], [worse[i] for i in idx])['mAP_R40'])
        assert sub[k] == pytest.approx(want)
    full = kitti_eval(gt, det)['mAP_R40'] - kitti_eval(gt, worse)['mAP_R40']
    assert subset_margins(gt, det, worse, 30)[0] == pytest.approx(full)


def test_interval_input_errors(data):
    gt, det, worse = data
    with pytest.raises(ValueError, match='30 ground-truth images, 29 and 30'):
        margin_bootstrap(gt, det[:29], worse)
    with pytest.raises(ValueError, match='n_boot must be >= 1'):
        margin_bootstrap(gt, det, worse, n_boot=0)
    with pytest.raises(ValueError, match=r'subset size must be in \[1, 30\]'):
        subset_margins(gt, det, worse, 31)
    with pytest.raises(KeyError, match="'mAP_R12' is not a kitti_eval result"):
        margin_bootstrap(gt, det, worse, n_boot=1, key='mAP_R12')


def _dump(path, gt, det, ids=None):
    ids = ids or [f'{i:06d}' for i in range(len(gt))]
    dump_detections(str(path), ('Car', 'Pedestrian', 'Cyclist'), list(zip(ids, gt, det)))
    return str(path)


def test_detections_file_round_trip_and_no_overwrite(tmp_path, data):
    gt, det, _ = data
    path = _dump(tmp_path / 'a' / 'detections.json', gt, det)
    back = load_detections(path)
    assert back['gt'] == gt and back['det'] == det and back['img_ids'][-1] == '000029'
    assert back['classes'] == ('Car', 'Pedestrian', 'Cyclist')
    with pytest.raises(FileExistsError):
        _dump(tmp_path / 'a' / 'detections.json', gt, det)


def test_detections_file_errors_name_the_file_and_field(tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"format": "other"}')
    with pytest.raises(ValueError, match=f"{bad}: expected a detections file .*got format 'other'"):
        load_detections(str(bad))
    bad.write_text('not json')
    with pytest.raises(ValueError, match=f'{bad}: not a readable JSON file'):
        load_detections(str(bad))
    img = dict(img_id='000007', ground_truth=[], detections=[dict(type='Car', bbox=[0, 0, 1, 1])])
    bad.write_text(json.dumps(dict(format=DUMP_FORMAT, classes=['Car'], images=[img])))
    with pytest.raises(ValueError, match=r"images\[0\] \(000007\) detections: expected .* score"):
        load_detections(str(bad))
    bad.write_text(json.dumps(dict(format=DUMP_FORMAT, classes=['Car'],
                                   images=[dict(img_id='000007', detections=[])])))
    with pytest.raises(ValueError, match=r"images\[0\] has no 'ground_truth'"):
        load_detections(str(bad))


def test_map_interval_tool_table(tmp_path, data, capsys):
    gt, det, worse = data
    a = _dump(tmp_path / 'pretrained' / 'detections.json', gt, det)
    b = _dump(tmp_path / 'random' / 'detections.json', gt, worse)
    lines = tool.main([a, b, '--boot', '30', '--subset-size', '10', '--threshold', '1'])
    margin = kitti_eval(gt, det)['mAP_R40'] - kitti_eval(gt, worse)['mAP_R40']
    row = next(ln for ln in lines if ln.startswith('| random |'))
    cells = [c.strip() for c in row.strip('|').split('|')]
    assert cells[2] == f'{margin:+.2f}'
    boot = margin_bootstrap(gt, det, worse, 30, 0)
    assert cells[3] == f'[{np.percentile(boot, 5):+.2f}, {np.percentile(boot, 95):+.2f}]'
    sub = subset_margins(gt, det, worse, 10)
    assert cells[6].endswith(f'[{sub.min():+.2f}, {sub.max():+.2f}]')
    assert cells[7] == f'{int(np.sum(sub >= 1))} of 3'
    assert '| pretrained minus |' in capsys.readouterr().out


def test_map_interval_tool_errors(tmp_path, data):
    gt, det, worse = data
    a = _dump(tmp_path / 'a.json', gt, det)
    other_ids = _dump(tmp_path / 'b.json', gt, worse, [f'{i:06d}' for i in range(1, 31)])
    with pytest.raises(SystemExit, match=f'{other_ids} holds other images than {a}.*position 0'):
        tool.main([a, other_ids])
    moved = [list(g) for g in gt]
    moved[4] = moved[4] + [dict(type='Car', bbox=[1, 2, 3, 40], occluded=0, truncated=0.0)]
    other_gt = _dump(tmp_path / 'c.json', moved, worse)
    with pytest.raises(SystemExit, match='differ in the ground truth of image 000004'):
        tool.main([a, other_gt])
    with pytest.raises(SystemExit, match='--subset-size 31 is more than the 30 images'):
        tool.main([a, a, '--subset-size', '31'])
    with pytest.raises(SystemExit, match=f'{tmp_path}/none.json: no such file'):
        tool.main([a, str(tmp_path / 'none.json')])
    with pytest.raises(SystemExit, match="--key: 'mAP_R12' is not"):
        tool.main([a, a, '--key', 'mAP_R12', '--boot', '1'])
    with pytest.raises(SystemExit):
        tool.main([a])  # argparse: needs at least one other file


def test_resampled_arrays_give_kitti_eval_of_the_resampled_lists(data):
    """The bootstrap's shortcut (arrays gathered per image) is exact, repeats and empty images
    included."""
    from crevdet.evaluation.functional.kitti import (kitti_eval_prepared, prepare_kitti,
                                                     resample_prepared)
    gt, det, _ = data
    gt, det = gt + [[]], det + [[]]  # an image without labels or detections
    f = prepare_kitti(gt, det)
    for idx in ([30, 0, 0, 7, 29, 7], list(range(31)), [5]):
        want = kitti_eval([gt[i] for i in idx], [det[i] for i in idx])
        assert kitti_eval_prepared(resample_prepared(f, idx)) == want
