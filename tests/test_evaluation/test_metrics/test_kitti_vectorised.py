"""The vectorised KITTI matching (``kitti.py``) against the devkit transliteration
(``kitti_reference.py``) on crowded random scenes, where the devkit's sequential greedy matters:
detections overlapping several gts, tied IoUs (integer boxes) and tied scores, ignored tiny
detections of other classes absorbing matches, neighbours, DontCare, mixed-case names, images
without labels or without detections. Equality is exact (``array_equal`` on every curve)."""
import numpy as np
import pytest

from crevdet.evaluation.functional.kitti import (_thresholds, _thresholds_array, kitti_eval,
                                                 kitti_precision_curve, prepare_kitti)
from crevdet.evaluation.functional.kitti_reference import kitti_precision_curve_reference

TYPES = ('Car', 'car', 'Van', 'Pedestrian', 'PEDESTRIAN', 'Person_sitting', 'Cyclist', 'Truck',
         'DontCare', 'Misc')


def crowded_scenes(n_images: int, seed: int):
    """Boxes packed into a 90 x 160 px image so that IoUs above 0.5/0.7 between several boxes
    are common; half the images use integer coordinates, some boxes are repeated (exact IoU
    ties), scores are tied (0.1 grid) or continuous."""
    rng = np.random.default_rng(seed)
    gts_all, dets_all = [], []
    for i in range(n_images):
        integer, tied = rng.random() < 0.5, rng.random() < 0.5

        def box(h):
            w = h * rng.uniform(0.5, 2.0)
            x1, y1 = rng.uniform(0, 160 - w), rng.uniform(0, 90 - h)
            b = [x1, y1, x1 + w, y1 + h]
            return [float(round(v)) for v in b] if integer else b

        # heights around 40 px (the Easy limit) make tiny and evaluated candidates compete
        gts = [dict(type=str(rng.choice(TYPES)),
                    bbox=box(rng.uniform(36, 44) if rng.random() < 0.5 else rng.uniform(15, 80)),
                    occluded=int(rng.integers(0, 4)),
                    truncated=float(rng.choice([0.0, 0.2, 0.4, 0.9])))
               for _ in range(rng.integers(0, 9))]
        dets = []
        for g in list(gts):  # several jittered copies of some objects: competing candidates
            for _ in range(rng.integers(0, 4)):
                s = rng.normal(0, 3, 4)
                b = [v + d for v, d in zip(g['bbox'], s)]
                dets.append(dict(type=str(rng.choice(TYPES[:7])),
                                 bbox=[float(round(v)) for v in b] if integer else b,
                                 score=0.0))
        dets += [dict(type=str(rng.choice(TYPES[:7])), bbox=box(rng.uniform(5, 70)), score=0.0)
                 for _ in range(rng.integers(0, 5))]
        # a gt, a second one shifted by k px and two detections of the class shifted by -k / +k:
        # both tie in IoU on the first gt, only +k fits the second, so the devkit's tie-break
        # (first detection in order) decides whether the second gt is found
        for _ in range(rng.integers(0, 3) if integer else 0):
            cls = str(rng.choice(('Car', 'Pedestrian', 'Cyclist')))
            x1, y1 = float(rng.integers(0, 100)), float(rng.integers(0, 40))
            w, h = float(rng.integers(20, 50)), float(rng.integers(30, 50))
            k = float(round((0.12 if cls == 'Car' else 0.25) * w))
            for dx in (0.0, k):
                gts.append(dict(type=cls, bbox=[x1 + dx, y1, x1 + dx + w, y1 + h], occluded=0,
                                truncated=0.0))
            for dx in (-k, k):
                dets.append(dict(type=cls, bbox=[x1 + dx, y1, x1 + dx + w, y1 + h]))
        # exact copies of boxes under another type: tied IoUs between candidates
        dets += [dict(d, type=str(rng.choice(TYPES[:7]))) for d in dets if rng.random() < 0.3]
        for d in dets:
            d['score'] = float(rng.integers(1, 10)) / 10 if tied else float(rng.random())
        if i % 17 == 0:
            dets = []
        gts_all.append(gts)
        dets_all.append([dets[k] for k in rng.permutation(len(dets))])
    return gts_all, dets_all


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_vectorised_curves_equal_reference_on_crowded_scenes(seed):
    gts, dets = crowded_scenes(60, seed)
    prepared = prepare_kitti(gts, dets)
    n_compared = 0
    for cls in ('Car', 'Pedestrian', 'Cyclist'):
        for diff in range(3):
            ref = kitti_precision_curve_reference(cls, gts, dets, diff)
            fast = kitti_precision_curve(cls, gts, dets, diff, prepared)
            assert (ref is None) == (fast is None), (cls, diff)
            if ref is not None:
                assert np.array_equal(ref, fast), (cls, diff, ref, fast)
                n_compared += ref[1:].sum() > 0
    assert n_compared >= 4  # real curves were compared, not empty ones
    assert kitti_eval(gts, dets, curve=kitti_precision_curve_reference) == kitti_eval(gts, dets)


def test_vectorised_thresholds_equal_devkit_loop():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n_gt = int(rng.integers(1, 300))
        m = int(rng.integers(0, n_gt + 1))
        scores = (rng.integers(0, 20, m) / 20 if rng.random() < 0.5 else rng.random(m))
        ref = _thresholds(list(scores), n_gt)
        fast = _thresholds_array(scores, n_gt)
        assert fast.tolist() == ref


def test_iou_exactly_at_the_threshold_is_no_match():
    ped = dict(type='Pedestrian', bbox=[0.0, 0.0, 30.0, 60.0], occluded=0, truncated=0.0)
    half = dict(type='Pedestrian', bbox=[10.0, 0.0, 40.0, 60.0], score=0.9)  # IoU exactly 0.5
    gts, dets = [[ped]] * 40, [[dict(half, score=1 - i / 100)] for i in range(40)]
    assert kitti_eval(gts, dets, classes=('Pedestrian', ))['Pedestrian_easy_R11'] == 0
    assert np.array_equal(kitti_precision_curve('Pedestrian', gts, dets, 0),
                          kitti_precision_curve_reference('Pedestrian', gts, dets, 0))


def test_empty_and_mismatched_inputs():
    assert kitti_eval([[], []], [[], []]) == {}
    with pytest.raises(ValueError, match='2 ground-truth images but 1 detection'):
        kitti_eval([[], []], [[]])
    car = dict(type='Car', bbox=[0, 0, 50, 50], occluded=0, truncated=0.0)
    # counted ground truth and no detection at all: AP 0, not missing
    res = kitti_eval([[car]], [[]], classes=('Car', ))
    assert res['Car_easy_R40'] == 0 and res['Car_easy_R11'] == 0
