"""KITTI 2D object detection AP, following the benchmark devkit's ``evaluate_object.cpp``.

Rules reproduced (2D boxes, pixel coordinates of the original image):

* Classes Car / Pedestrian / Cyclist with IoU thresholds 0.7 / 0.5 / 0.5 (strictly greater).
* Difficulties Easy / Moderate / Hard: min box height 40 / 25 / 25 px, max occlusion 0 / 1 / 2, max
  truncation 0.15 / 0.30 / 0.50. A ground-truth box *counts* only if its height is strictly greater
  than the minimum and it is within the occlusion/truncation limits; otherwise it is ignored.
* Neighbouring classes (Van for Car, Person_sitting for Pedestrian) are ignored ground truth: a
  detection matched to them is neither TP nor FP. Other classes are invisible to the class.
* A detection whose integer-truncated height is below the minimum is ignored (not a FP).
* Detections overlapping a DontCare region by more than the class IoU threshold (intersection over
  the detection's area) are not counted as false positives.
* Recall thresholds: the devkit's 41-point sampling of detection scores; precision at each point
  is the maximum precision at that or any higher recall. AP_R40 averages points 1..40, AP_R11
  points 0, 4, ..., 40 (older papers). Class names compare case-insensitively.

Inputs are per-image lists of dicts: ground truth ``{'type', 'truncated', 'occluded', 'bbox'}``,
detections ``{'type', 'bbox', 'score'}`` with ``bbox = (x1, y1, x2, y2)``.
Label files (reading ``label_2``, writing detections) are ``crevdet.datasets.kitti_labels``.
"""
import bisect
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

CLASSES = ('Car', 'Pedestrian', 'Cyclist')
MIN_OVERLAP = {'car': 0.7, 'pedestrian': 0.5, 'cyclist': 0.5}
NEIGHBOURS = {'car': 'van', 'pedestrian': 'person_sitting'}
DIFFICULTIES = ('easy', 'moderate', 'hard')
MIN_HEIGHT = (40, 25, 25)
MAX_OCCLUSION = (0, 1, 2)
MAX_TRUNCATION = (0.15, 0.30, 0.50)
N_SAMPLE_PTS = 41
_NO_DETECTION = -10000000.0


def box_overlap(a: Sequence[float], b: Sequence[float], criterion: int = -1) -> float:
    """IoU (``criterion=-1``) or intersection over the area of ``a`` (``0``) / ``b`` (``1``);
    no +1 pixel convention, as in the devkit."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    if criterion == -1:
        return inter / (area_a + area_b - inter)
    return inter / (area_a if criterion == 0 else area_b)


def _thresholds(scores: List[float], n_gt: int) -> List[float]:
    """Devkit ``getThresholds``: scores at (approximately) linearly spaced recall."""
    v = sorted(scores, reverse=True)
    t, current = [], 0.0
    for i, s in enumerate(v):
        l_recall = (i + 1) / n_gt
        r_recall = (i + 2) / n_gt if i < len(v) - 1 else l_recall
        if (r_recall - current) < (current - l_recall) and i < len(v) - 1:
            continue
        t.append(s)
        current += 1.0 / (N_SAMPLE_PTS - 1.0)
    return t


def _counts(own_class: bool, occluded: int, truncated: float, height: float, diff: int) -> bool:
    """``cleanData``: a ground-truth box counts at difficulty ``diff`` (else it is ignored)."""
    return (own_class and occluded <= MAX_OCCLUSION[diff] and truncated <= MAX_TRUNCATION[diff]
            and height > MIN_HEIGHT[diff])


def _prepare(cls: str, gts: List[dict], dets: List[dict]) -> Optional[dict]:
    """What one image contributes to ``cls`` at any difficulty, computed once: the devkit's
    matching only ever looks at ground truth of the class or its neighbour, and at detections of
    the class or lower than the largest minimum height (a too-small detection of *any* class is
    an ignored detection that can absorb a match, as in ``cleanData``). Original order is kept:
    the devkit's ties go to the first box. None when no detection takes part."""
    mo = MIN_OVERLAP[cls]
    keep = [d for d in dets if d['type'].lower() == cls
            or int(abs(d['bbox'][1] - d['bbox'][3])) < max(MIN_HEIGHT)]
    if not keep:
        return None
    rel = [g for g in gts if g['type'].lower() in (cls, NEIGHBOURS.get(cls))]
    boxes = [d['bbox'] for d in keep]
    dontcare = [g['bbox'] for g in gts if g['type'].lower() == 'dontcare']
    return dict(
        scores=[d['score'] for d in keep],
        is_cls=[d['type'].lower() == cls for d in keep],
        det_h=[int(abs(b[1] - b[3])) for b in boxes],
        dc_hit=[any(box_overlap(b, dc, 0) > mo for dc in dontcare) for b in boxes],
        gt=[(g['type'].lower() == cls, g['occluded'], g['truncated'], g['bbox'][3] - g['bbox'][1])
            for g in rel],
        iou=[[box_overlap(b, g['bbox']) for b in boxes] for g in rel])


def _flags(p: dict, diff: int):
    """``cleanData`` for one difficulty: ignored-gt flags (0 counts / 1 ignored), the number of
    counted gt, and detection flags (0 evaluated / 1 ignored / -1 not this class)."""
    ig = [0 if _counts(*g, diff) else 1 for g in p['gt']]
    idet = [1 if h < MIN_HEIGHT[diff] else (0 if c else -1)
            for h, c in zip(p['det_h'], p['is_cls'])]
    return ig, ig.count(0), idet


def _tp_scores(p: dict, ig: List[int], idet: List[int], mo: float) -> List[float]:
    """``computeStatistics`` without false positives: each gt takes the highest-scoring free
    overlapping detection; the scores of true positives."""
    scores, assigned, out = p['scores'], [False] * len(idet), []
    for i, row in enumerate(p['iou']):
        best, j_best = _NO_DETECTION, -1
        for j, ov in enumerate(row):
            if ov > mo and idet[j] != -1 and not assigned[j] and scores[j] > best:
                best, j_best = scores[j], j
        if j_best >= 0:
            assigned[j_best] = True
            if ig[i] == 0 and idet[j_best] == 0:
                out.append(scores[j_best])
    return out


def _tp_fp(p: dict, ig: List[int], idet: List[int], active: List[bool], mo: float):
    """``computeStatistics`` with false positives among the ``active`` detections (score at or
    above the threshold): each gt takes the free overlapping evaluated detection of highest IoU
    (an ignored one only while no evaluated one is found); unmatched evaluated detections outside
    DontCare regions are false positives."""
    n = len(idet)
    assigned, tp = [False] * n, 0
    for i, row in enumerate(p['iou']):
        j_best, max_ov, took_ignored = -1, 0.0, False
        for j in range(n):
            ov = row[j]
            if ov <= mo or not active[j] or assigned[j] or idet[j] == -1:
                continue
            if idet[j] == 0 and (ov > max_ov or took_ignored):
                j_best, max_ov, took_ignored = j, ov, False
            elif idet[j] == 1 and j_best < 0:
                j_best, took_ignored = j, True
        if j_best >= 0:
            assigned[j_best] = True
            tp += ig[i] == 0 and idet[j_best] == 0
    fp = sum(1 for j in range(n) if active[j] and idet[j] == 0 and not assigned[j]
             and not p['dc_hit'][j])
    return tp, fp


def kitti_precision_curve(cls: str, gt_per_image: List[List[dict]],
                          det_per_image: List[List[dict]], difficulty: int,
                          prepared: Optional[list] = None) -> Optional[np.ndarray]:
    """The devkit's 41-point interpolated precision for one class and difficulty; None when the
    difficulty holds no counted ground truth of that class.

    Same numbers as the devkit transliteration
    (:func:`~crevdet.evaluation.functional.kitti_reference.kitti_precision_curve_reference`,
    checked by a randomised equivalence test), about 10x faster (measured by
    ``tools/analysis_tools/kitti_eval_speed.py`` on 7,481 images): IoU and DontCare overlaps are
    computed once per image and class instead of once per recall threshold, images without a
    detection of the class are skipped, and the matching runs once per distinct set of
    detections above the thresholds (at most one per distinct score of the image) instead of
    once per threshold. ``prepared``: :func:`_prepare` per image, to share across difficulties.
    """
    cls = cls.lower()
    mo = MIN_OVERLAP[cls]
    if prepared is None:
        prepared = [_prepare(cls, g, d) for g, d in zip(gt_per_image, det_per_image)]
    n_gt, tp_scores, flags = 0, [], []
    for gts, p in zip(gt_per_image, prepared):
        if p is None:  # no detection takes part: only its counted gt matter (recall)
            n_gt += sum(_counts(g['type'].lower() == cls, g['occluded'], g['truncated'],
                                g['bbox'][3] - g['bbox'][1], difficulty) for g in gts)
            flags.append(None)
            continue
        ig, n, idet = _flags(p, difficulty)
        n_gt += n
        flags.append((ig, idet))
        tp_scores += _tp_scores(p, ig, idet, mo)
    if n_gt == 0:
        return None
    thresholds = _thresholds(tp_scores, n_gt)
    n_th = len(thresholds)
    neg_th = [-t for t in thresholds]  # ascending, for bisect
    # per image, the detections above threshold k change only where k passes one of its scores:
    # match once per such segment of thresholds and add the result to the whole segment
    d_tp, d_fp = [0] * (n_th + 1), [0] * (n_th + 1)
    for p, f in zip(prepared, flags):
        if f is None:
            continue
        ig, idet = f
        cuts = sorted(set(p['scores']), reverse=True)
        starts = [bisect.bisect_left(neg_th, -u) for u in cuts] + [n_th]
        for u, a, b in zip(cuts, starts[:-1], starts[1:]):
            if a == b:
                continue
            t, f_ = _tp_fp(p, ig, idet, [s >= u for s in p['scores']], mo)
            d_tp[a] += t
            d_tp[b] -= t
            d_fp[a] += f_
            d_fp[b] -= f_
    tp, fp = np.cumsum(d_tp[:n_th]), np.cumsum(d_fp[:n_th])
    precision = np.zeros(N_SAMPLE_PTS)
    for k in range(n_th):
        precision[k] = tp[k] / (tp[k] + fp[k]) if tp[k] + fp[k] else 0.0
    for k in range(n_th):
        precision[k] = precision[k:].max()
    return precision

def ap_r40(precision: np.ndarray) -> float:
    return float(precision[1:].sum() / 40 * 100)


def ap_r11(precision: np.ndarray) -> float:
    return float(precision[::4].sum() / 11 * 100)


def kitti_eval(gt_per_image: List[List[dict]], det_per_image: List[List[dict]],
               classes: Sequence[str] = CLASSES,
               curve: Optional[Callable] = None) -> Dict[str, float]:
    """AP for every class x difficulty, R40 and R11, and the mean over the entries that have
    ground truth (the paper's 9-entry mAP for the 3 default classes). Keys like
    ``Car_moderate_R40``, ``mAP_R40``. ``curve``: another precision-curve function
    ``(cls, gt_per_image, det_per_image, difficulty)``, e.g. the devkit transliteration
    ``kitti_reference.kitti_precision_curve_reference``, which then does all the work itself
    (nothing is prepared for it), so it can be timed and compared."""
    if len(gt_per_image) != len(det_per_image):
        raise ValueError(f'{len(gt_per_image)} ground-truth images but {len(det_per_image)} '
                         'detection images')
    out: Dict[str, float] = {}
    for cls in classes:
        if cls.lower() not in MIN_OVERLAP:
            raise ValueError(f'KITTI 2D evaluation defines Car, Pedestrian, Cyclist; got {cls!r}')
        prepared = None if curve else [_prepare(cls.lower(), g, d)
                                       for g, d in zip(gt_per_image, det_per_image)]
        for d, name in enumerate(DIFFICULTIES):
            prec = curve(cls, gt_per_image, det_per_image, d) if curve else \
                kitti_precision_curve(cls, gt_per_image, det_per_image, d, prepared)
            if prec is None:
                continue
            out[f'{cls}_{name}_R40'] = ap_r40(prec)
            out[f'{cls}_{name}_R11'] = ap_r11(prec)
    for rule in ('R40', 'R11'):
        vals = [v for k, v in out.items() if k.endswith(rule)]
        if vals:
            out[f'mAP_{rule}'] = float(np.mean(vals))
    return out
