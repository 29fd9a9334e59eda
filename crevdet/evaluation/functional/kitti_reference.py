"""The KITTI devkit's ``evaluate_object.cpp`` matching, transliterated line by line (pure Python:
``cleanData``, ``computeStatistics``, one full pass over every image per recall threshold).

This is the *reference* for :func:`crevdet.evaluation.functional.kitti.kitti_precision_curve`
(the fast implementation ``kitti_eval`` uses): a randomised test checks that both give the same
precision curves, and ``tools/analysis_tools/kitti_eval_speed.py`` times both. It equals the
devkit binary on all 7,481 KITTI training labels (measured when it was written).
"""
from typing import List

import numpy as np

from .kitti import (_NO_DETECTION, MAX_OCCLUSION, MAX_TRUNCATION, MIN_HEIGHT, MIN_OVERLAP,
                    N_SAMPLE_PTS, NEIGHBOURS, _thresholds, box_overlap)


def _clean(cls: str, gts: List[dict], dets: List[dict], diff: int):
    """Devkit ``cleanData``: per gt 0 (counts) / 1 (ignored) / -1 (other class); per det
    0 (evaluated) / 1 (ignored: too small) / -1 (other class); DontCare boxes."""
    ignored_gt, n_gt = [], 0
    for g in gts:
        t = g['type'].lower()
        height = g['bbox'][3] - g['bbox'][1]
        if t == cls:
            valid = 1
        elif NEIGHBOURS.get(cls) == t:
            valid = 0
        else:
            valid = -1
        ignore = (g['occluded'] > MAX_OCCLUSION[diff] or g['truncated'] > MAX_TRUNCATION[diff]
                  or height <= MIN_HEIGHT[diff])
        if valid == 1 and not ignore:
            ignored_gt.append(0)
            n_gt += 1
        elif valid == 0 or (ignore and valid == 1):
            ignored_gt.append(1)
        else:
            ignored_gt.append(-1)
    dontcare = [g['bbox'] for g in gts if g['type'].lower() == 'dontcare']
    ignored_det = []
    for d in dets:
        height = int(abs(d['bbox'][1] - d['bbox'][3]))  # the devkit stores it in an int32
        if height < MIN_HEIGHT[diff]:
            ignored_det.append(1)
        elif d['type'].lower() == cls:
            ignored_det.append(0)
        else:
            ignored_det.append(-1)
    return ignored_gt, ignored_det, dontcare, n_gt


def _statistics(cls, gts, dets, dontcare, ignored_gt, ignored_det, compute_fp, thresh=0.0):
    """Devkit ``computeStatistics``: (tp, fp, fn, scores of TPs)."""
    min_overlap = MIN_OVERLAP[cls]
    assigned = [False] * len(dets)
    below = [compute_fp and d['score'] < thresh for d in dets]
    tp = fp = fn = 0
    scores = []
    for i, g in enumerate(gts):
        if ignored_gt[i] == -1:
            continue
        det_idx, valid, max_overlap, assigned_ignored = -1, _NO_DETECTION, 0.0, False
        for j, d in enumerate(dets):
            if ignored_det[j] == -1 or assigned[j] or below[j]:
                continue
            overlap = box_overlap(d['bbox'], g['bbox'])
            if not compute_fp and overlap > min_overlap and d['score'] > valid:
                det_idx, valid = j, d['score']
            elif (compute_fp and overlap > min_overlap
                  and (overlap > max_overlap or assigned_ignored) and ignored_det[j] == 0):
                max_overlap, det_idx, valid, assigned_ignored = overlap, j, 1.0, False
            elif (compute_fp and overlap > min_overlap and valid == _NO_DETECTION
                  and ignored_det[j] == 1):
                det_idx, valid, assigned_ignored = j, 1.0, True
        if valid == _NO_DETECTION and ignored_gt[i] == 0:
            fn += 1
        elif valid != _NO_DETECTION and (ignored_gt[i] == 1 or ignored_det[det_idx] == 1):
            assigned[det_idx] = True
        elif valid != _NO_DETECTION:
            tp += 1
            scores.append(dets[det_idx]['score'])
            assigned[det_idx] = True
    if compute_fp:
        fp = sum(1 for j in range(len(dets))
                 if not (assigned[j] or ignored_det[j] in (-1, 1) or below[j]))
        n_stuff = 0
        for dc in dontcare:
            for j, d in enumerate(dets):
                if assigned[j] or ignored_det[j] in (-1, 1) or below[j]:
                    continue
                if box_overlap(d['bbox'], dc, 0) > min_overlap:
                    assigned[j] = True
                    n_stuff += 1
        fp -= n_stuff
    return tp, fp, fn, scores


def kitti_precision_curve_reference(cls: str, gt_per_image: List[List[dict]],
                          det_per_image: List[List[dict]], difficulty: int) -> np.ndarray:
    """The devkit's 41-point interpolated precision for one class and difficulty; None when the
    difficulty holds no counted ground truth of that class."""
    cls = cls.lower()
    cleaned, scores, n_gt = [], [], 0
    for gts, dets in zip(gt_per_image, det_per_image):
        ig, idet, dc, n = _clean(cls, gts, dets, difficulty)
        n_gt += n
        cleaned.append((gts, dets, dc, ig, idet))
        scores += _statistics(cls, gts, dets, dc, ig, idet, compute_fp=False)[3]
    if n_gt == 0:
        return None
    thresholds = _thresholds(scores, n_gt)
    precision = np.zeros(N_SAMPLE_PTS)
    for k, th in enumerate(thresholds):
        tp = fp = 0
        for gts, dets, dc, ig, idet in cleaned:
            s = _statistics(cls, gts, dets, dc, ig, idet, compute_fp=True, thresh=th)
            tp, fp = tp + s[0], fp + s[1]
        precision[k] = tp / (tp + fp) if tp + fp else 0.0
    for k in range(len(thresholds)):
        precision[k] = precision[k:].max()
    return precision


# KITTI training-label frequencies per image (7,481 images, 51,865 objects incl. DontCare)
_TYPE_RATE = {'Car': 3.84, 'Van': 0.39, 'Truck': 0.15, 'Pedestrian': 0.60, 'Person_sitting': 0.03,
              'Cyclist': 0.22, 'Tram': 0.07, 'Misc': 0.13, 'DontCare': 1.51}


def random_kitti_annotations(n_images: int, seed: int = 0, image_size=(375, 1242),
                             fp_per_image: float = 5.0):
    """Random ground truth with KITTI's per-image object counts (every type, DontCare included,
    random occlusion/truncation, boxes from tiny to large) and detections of a plausible detector
    (most Car/Pedestrian/Cyclist objects found with jittered boxes, some neighbours taken for the
    class, extra false positives, tiny boxes, scores on a 0.05 grid so that ties occur). For the
    equivalence test and the speed benchmark. Returns ``(gt_per_image, det_per_image)``."""
    rng = np.random.default_rng(seed)
    h_img, w_img = image_size
    det_types = ('Car', 'Pedestrian', 'Cyclist')

    def box(h):
        w = h * rng.uniform(0.4, 2.5)
        x1, y1 = rng.uniform(0, w_img - w), rng.uniform(0, h_img - h)
        return [round(float(v), 2) for v in (x1, y1, x1 + w, y1 + h)]

    gts_all, dets_all = [], []
    for _ in range(n_images):
        gts, dets = [], []
        for t, rate in _TYPE_RATE.items():
            for _ in range(rng.poisson(rate)):
                g = dict(type=t, bbox=box(float(rng.choice([rng.uniform(8, 30),
                                                            rng.uniform(20, 200)]))),
                         occluded=int(rng.integers(0, 4)),
                         truncated=float(rng.choice([0.0, 0.0, rng.uniform(0, 1)])))
                gts.append(g)
                found = t in det_types or (t in ('Van', 'Person_sitting') and rng.random() < 0.3)
                if found and rng.random() < 0.8:
                    x1, y1, x2, y2 = g['bbox']
                    s = rng.normal(0, 0.08 * (y2 - y1), 4)
                    cls = t if t in det_types else ('Car' if t == 'Van' else 'Pedestrian')
                    dets.append(dict(type=cls, bbox=[x1 + s[0], y1 + s[1], x2 + s[2], y2 + s[3]],
                                     score=round(float(rng.uniform(0.2, 1)) * 20) / 20))
        for _ in range(rng.poisson(fp_per_image)):
            dets.append(dict(type=str(rng.choice(det_types)), bbox=box(rng.uniform(5, 120)),
                             score=round(float(rng.uniform(0, 0.8)) * 20) / 20))
        order = rng.permutation(len(dets))
        gts_all.append(gts)
        dets_all.append([dets[i] for i in order])
    return gts_all, dets_all
