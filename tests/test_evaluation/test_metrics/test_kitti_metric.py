"""The KITTI devkit protocol, pinned with hand-computed cases."""
import pytest

from crevdet.datasets.kitti_labels import parse_kitti_label_line
from crevdet.evaluation.functional.kitti import box_overlap, kitti_eval, kitti_precision_curve

CAR = [100.0, 100.0, 200.0, 160.0]  # height 60: counts in every difficulty


def gt(t='Car', bbox=CAR, occ=0, trunc=0.0):
    return dict(type=t, bbox=list(bbox), occluded=occ, truncated=trunc)


def det(bbox=CAR, score=0.5, t='Car'):
    return dict(type=t, bbox=list(bbox), score=score)


def forty_perfect():
    """40 images, one Car each, detected exactly with distinct scores."""
    return [[gt()] for _ in range(40)], [[det(score=1 - i / 100)] for i in range(40)]


def test_perfect_detector_gives_devkit_values():
    gts, dets = forty_perfect()
    res = kitti_eval(gts, dets, classes=('Car', ))
    # 40 thresholds, precision 1 at points 0..39 and 0 at point 40 (the devkit's sampling):
    assert res['Car_easy_R40'] == pytest.approx(39 / 40 * 100)
    assert res['Car_easy_R11'] == pytest.approx(10 / 11 * 100)
    assert res['mAP_R40'] == pytest.approx(97.5)


def test_single_object_quirk_of_recall_sampling():
    # one ground truth -> one threshold: only recall point 0 is filled (R40 ignores it)
    p = kitti_precision_curve('Car', [[gt()]], [[det()]], 0)
    assert p[0] == 1 and p[1:].sum() == 0
    res = kitti_eval([[gt()]], [[det()]], classes=('Car', ))
    assert res['Car_easy_R40'] == 0 and res['Car_easy_R11'] == pytest.approx(100 / 11)


def test_ignored_neighbours_dontcare_and_small_detections_are_not_false_positives():
    gts, dets = forty_perfect()
    gts[0].append(gt('Van', [300, 100, 400, 160]))          # neighbour class of Car
    dets[0].append(det([300, 100, 400, 160], score=0.995))  # ... matched: ignored
    gts[1].append(gt('DontCare', [500, 50, 700, 200]))
    dets[1].append(det([520, 60, 600, 150], score=0.999))   # inside DontCare: ignored
    dets[2].append(det([800, 100, 850, 115], score=0.998))  # 15 px high < 25: ignored
    dets[3].append(det([900, 100, 1000, 160], score=0.5, t='Pedestrian'))  # other class
    assert kitti_eval(gts, dets, classes=('Car', ))['Car_easy_R40'] == pytest.approx(97.5)


def test_one_false_positive_lowers_precision_as_devkit():
    gts, dets = forty_perfect()
    dets[5].append(det([900, 100, 1000, 160], score=0.9995))  # a confident FP
    res = kitti_eval(gts, dets, classes=('Car', ))
    # at threshold k: tp=k+1, fp=1 -> interpolated precision max_j (j+1)/(j+2) = 40/41
    assert res['Car_easy_R40'] == pytest.approx(39 * (40 / 41) / 40 * 100)


def test_min_height_rules_gt_strict_det_integer_truncated():
    # gt exactly 40 px high: ignored in Easy (must be > 40), counted in Moderate
    box40 = [100, 100, 200, 140]
    gts = [[gt(bbox=box40)] for _ in range(40)]
    dets = [[det(box40, 1 - i / 100)] for i in range(40)]
    res = kitti_eval(gts, dets, classes=('Car', ))
    assert 'Car_easy_R40' not in res  # no counted ground truth in Easy
    assert res['Car_moderate_R40'] == pytest.approx(97.5)
    # an unmatched detection 39.9 px high: int(39.9) = 39 < 40 -> ignored in Easy, FP in Moderate
    gts, dets = forty_perfect()
    dets[0].append(det([900, 100, 1000, 139.9], score=0.9999))
    res = kitti_eval(gts, dets, classes=('Car', ))
    assert res['Car_easy_R40'] == pytest.approx(97.5)
    assert res['Car_moderate_R40'] < 97.5


def test_occlusion_truncation_and_iou_threshold():
    gts, dets = forty_perfect()
    gts[0] = [gt(occ=1)]            # moderate/hard only
    gts[1] = [gt(trunc=0.2)]        # > 0.15: not easy
    res = kitti_eval(gts, dets, classes=('Car', ))
    assert res['Car_moderate_R40'] == pytest.approx(97.5)
    # 38 counted in Easy; the 2 matched detections are ignored, not FP: precision stays 1
    p = kitti_precision_curve('Car', gts, dets, 0)
    assert (p[:38] == 1).all() and p[38:].sum() == 0
    # IoU 0.7 is strict for Car: a shifted box with IoU 0.6 is a miss + FP, fine for Pedestrian
    shifted = [125.0, 100.0, 225.0, 160.0]  # IoU = 75/125 = 0.6
    assert box_overlap(shifted, CAR) == pytest.approx(0.6)
    res = kitti_eval([[gt()]] * 40, [[det(shifted, 1 - i / 100)] for i in range(40)],
                     classes=('Car', ))
    assert res['Car_easy_R40'] == 0
    res = kitti_eval([[gt('Pedestrian')]] * 40,
                     [[det(shifted, 1 - i / 100, 'Pedestrian')] for i in range(40)],
                     classes=('Pedestrian', ))
    assert res['Pedestrian_easy_R40'] == pytest.approx(97.5)


def test_label_parsing_errors_name_the_file():
    o = parse_kitti_label_line('Car 0.00 1 -1.5 10 20 30 40 1 2 3 4 5 6 0.1')
    assert o['type'] == 'Car' and o['occluded'] == 1 and o['bbox'] == [10, 20, 30, 40]
    with pytest.raises(ValueError, match=r'000007.txt:3: expected 15'):
        parse_kitti_label_line('Car 0 1', '000007.txt', 3)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_fast_precision_curves_equal_the_devkit_transliteration(seed):
    """kitti_eval's fast matching against the line-by-line devkit reference: random images with
    every KITTI type, DontCare, neighbours, occlusion/truncation, tiny boxes and tied scores."""
    import numpy as np

    from crevdet.evaluation.functional.kitti_reference import (kitti_precision_curve_reference,
                                                               random_kitti_annotations)
    gts, dets = random_kitti_annotations(150, seed=seed)
    n_compared = 0
    for cls in ('Car', 'Pedestrian', 'Cyclist'):
        for diff in range(3):
            ref = kitti_precision_curve_reference(cls, gts, dets, diff)
            fast = kitti_precision_curve(cls, gts, dets, diff)
            assert (ref is None) == (fast is None), (cls, diff)
            if ref is not None:
                assert np.array_equal(ref, fast), (cls, diff, ref, fast)
                n_compared += 1
                assert ref[1:].sum() > 0  # a real curve, not all zeros
    assert n_compared >= 7  # a class x difficulty may hold no counted ground truth
    # the whole evaluation with the reference curve (what kitti_eval_speed.py times) agrees too
    assert kitti_eval(gts, dets, curve=kitti_precision_curve_reference) == kitti_eval(gts, dets)
