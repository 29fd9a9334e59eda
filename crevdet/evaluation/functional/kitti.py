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
"""
from typing import Dict, List, Optional, Sequence

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


def kitti_precision_curve(cls: str, gt_per_image: List[List[dict]],
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


def ap_r40(precision: np.ndarray) -> float:
    return float(precision[1:].sum() / 40 * 100)


def ap_r11(precision: np.ndarray) -> float:
    return float(precision[::4].sum() / 11 * 100)


def kitti_eval(gt_per_image: List[List[dict]], det_per_image: List[List[dict]],
               classes: Sequence[str] = CLASSES) -> Dict[str, float]:
    """AP for every class x difficulty, R40 and R11, and the mean over the entries that have
    ground truth (the paper's 9-entry mAP for the 3 default classes). Keys like
    ``Car_moderate_R40``, ``mAP_R40``."""
    if len(gt_per_image) != len(det_per_image):
        raise ValueError(f'{len(gt_per_image)} ground-truth images but {len(det_per_image)} '
                         'detection images')
    out: Dict[str, float] = {}
    for cls in classes:
        if cls.lower() not in MIN_OVERLAP:
            raise ValueError(f'KITTI 2D evaluation defines Car, Pedestrian, Cyclist; got {cls!r}')
        for d, name in enumerate(DIFFICULTIES):
            prec = kitti_precision_curve(cls, gt_per_image, det_per_image, d)
            if prec is None:
                continue
            out[f'{cls}_{name}_R40'] = ap_r40(prec)
            out[f'{cls}_{name}_R11'] = ap_r11(prec)
    for rule in ('R40', 'R11'):
        vals = [v for k, v in out.items() if k.endswith(rule)]
        if vals:
            out[f'mAP_{rule}'] = float(np.mean(vals))
    return out


def parse_kitti_label_line(line: str, path: str = '<label>', lineno: int = 0) -> dict:
    """One ``label_2`` line (15 fields; a 16th is the score of a detection file)."""
    f = line.split()
    if len(f) not in (15, 16):
        raise ValueError(f'{path}:{lineno}: expected 15 (label) or 16 (detection) fields '
                         f'"type truncated occluded alpha x1 y1 x2 y2 h w l x y z ry [score]", '
                         f'got {len(f)}')
    try:
        obj = dict(type=f[0], truncated=float(f[1]), occluded=int(float(f[2])),
                   alpha=float(f[3]), bbox=[float(v) for v in f[4:8]])
        if len(f) == 16:
            obj['score'] = float(f[15])
    except ValueError as e:
        raise ValueError(f'{path}:{lineno}: non-numeric field in {line.strip()!r}') from e
    return obj


# every object type of KITTI's label_2 files (devkit readme)
KITTI_TYPES = ('Car', 'Van', 'Truck', 'Pedestrian', 'Person_sitting', 'Cyclist', 'Tram', 'Misc',
               'DontCare')


def read_kitti_label_file(path: str, class_map: Optional[Dict[str, Optional[str]]] = None,
                          unknown_classes: str = 'error', invalid_boxes: str = 'error',
                          dropped: Optional[Dict[str, int]] = None) -> List[dict]:
    """Parse and validate a ``label_2`` file. Every object type must be one of
    :data:`KITTI_TYPES` after ``class_map`` (``{'Carr': 'Car'}``; a value of None drops the
    object), and every box finite with ``x2 > x1`` and ``y2 > y1``; otherwise an error names the
    file and line, unless ``unknown_classes='ignore'`` / ``invalid_boxes='drop'``, which drop
    the object and count it in ``dropped`` (keys ``'unknown_class'``, ``'invalid_box'``)."""
    if unknown_classes not in ('error', 'ignore') or invalid_boxes not in ('error', 'drop'):
        raise ValueError(f"unknown_classes must be 'error'/'ignore' and invalid_boxes "
                         f"'error'/'drop', got {unknown_classes!r}, {invalid_boxes!r}")
    class_map = class_map or {}
    dropped = {} if dropped is None else dropped
    objects = []
    with open(path) as fh:
        for i, ln in enumerate(fh):
            if not ln.strip():
                continue
            obj = parse_kitti_label_line(ln, path, i + 1)
            if obj['type'] in class_map:
                if class_map[obj['type']] is None:
                    dropped['mapped_to_none'] = dropped.get('mapped_to_none', 0) + 1
                    continue
                obj['type'] = class_map[obj['type']]
            if obj['type'] not in KITTI_TYPES:
                if unknown_classes == 'error':
                    raise ValueError(
                        f'{path}:{i + 1}: unknown object type {obj["type"]!r}; KITTI types are '
                        f'{", ".join(KITTI_TYPES)}. Fix the label, map it (class_map='
                        f'{{{obj["type"]!r}: \'Car\'}}) or drop such objects '
                        "(unknown_classes='ignore') in the dataset config")
                dropped['unknown_class'] = dropped.get('unknown_class', 0) + 1
                continue
            x1, y1, x2, y2 = obj['bbox']
            if not (np.isfinite(obj['bbox']).all() and x2 > x1 and y2 > y1):
                if invalid_boxes == 'error':
                    raise ValueError(
                        f'{path}:{i + 1}: invalid {obj["type"]} box (x1, y1, x2, y2) = '
                        f'({x1}, {y1}, {x2}, {y2}): it must be finite with x2 > x1 and y2 > y1. '
                        "Fix the label or drop such boxes (invalid_boxes='drop') in the "
                        'dataset config')
                dropped['invalid_box'] = dropped.get('invalid_box', 0) + 1
                continue
            objects.append(obj)
    return objects


def format_kitti_line(cls: str, bbox: Sequence[float], score: float) -> str:
    """A detection in ``label_2`` format with score (the benchmark's submission format)."""
    x1, y1, x2, y2 = bbox
    return (f'{cls} -1 -1 -10 {x1:.2f} {y1:.2f} {x2:.2f} {y2:.2f} -1 -1 -1 -1000 -1000 -1000 '
            f'-10 {score:.4f}')
