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
import itertools
from operator import itemgetter
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


# type codes of the flattened labels (``prepare_kitti``); every other type is ``_OTHER``
_CODE = {'car': 0, 'pedestrian': 1, 'cyclist': 2, 'van': 3, 'person_sitting': 4, 'dontcare': 5}
_OTHER = 6


def _type_codes(objs: List[dict]) -> np.ndarray:
    """int8 code of every object's lower-cased ``type`` (one ``lower()`` per distinct name)."""
    names = list(map(itemgetter('type'), objs))
    code = {t: _CODE.get(t.lower(), _OTHER) for t in set(names)}
    return np.fromiter((code[t] for t in names), np.int8, count=len(names))


def _boxes(objs: List[dict]) -> np.ndarray:
    """``(N, 4)`` float64 boxes; float64 holds int pixel coordinates exactly, so the overlaps
    below are the same IEEE operations as :func:`box_overlap`'s Python floats."""
    return np.fromiter(itertools.chain.from_iterable(map(itemgetter('bbox'), objs)), np.float64,
                       count=4 * len(objs)).reshape(-1, 4)


def _ragged_arange(counts: np.ndarray) -> np.ndarray:
    """``concat([arange(c) for c in counts])`` without a Python loop."""
    ends = np.cumsum(counts)
    return np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - counts, counts)


def _pairs(a_img: np.ndarray, b_img: np.ndarray, n_img: int):
    """Every ``(a, b)`` index pair of the same image, a-major, both in their original order
    (``a_img`` and ``b_img`` are sorted image indices)."""
    nb = np.bincount(b_img, minlength=n_img)
    reps = nb[a_img]
    a = np.repeat(np.arange(len(a_img)), reps)
    return a, np.repeat((np.cumsum(nb) - nb)[a_img], reps) + _ragged_arange(reps)


def _overlaps(a: np.ndarray, b: np.ndarray, criterion: int = -1) -> np.ndarray:
    """:func:`box_overlap` of paired ``(N, 4)`` boxes, operation for operation (bitwise equal)."""
    w = np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0])
    h = np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1])
    hit = (w > 0) & (h > 0)
    inter = w * h
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    if criterion == -1:
        den = area_a + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    else:
        den = area_a if criterion == 0 else (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return np.divide(inter, den, out=np.zeros_like(inter), where=hit)


def prepare_kitti(gt_per_image: List[List[dict]], det_per_image: List[List[dict]]) -> dict:
    """Every label and detection of the set as flat arrays (read from the dicts once, shared by
    all classes and difficulties): image index, type code, box, occlusion / truncation (gt),
    score and integer-truncated height (det), and each detection's largest overlap with a
    DontCare region of its image (intersection over the detection's area; 0 without one).
    Objects stay in their original order, grouped by image (the devkit's ties go to the first
    box)."""
    if len(gt_per_image) != len(det_per_image):
        raise ValueError(f'{len(gt_per_image)} ground-truth images but {len(det_per_image)} '
                         'detection images')
    n_img = len(gt_per_image)
    gts = [g for gs in gt_per_image for g in gs]
    dets = [d for ds in det_per_image for d in ds]
    f = dict(n_img=n_img,
             g_img=np.repeat(np.arange(n_img), [len(gs) for gs in gt_per_image]),
             g_code=_type_codes(gts), g_box=_boxes(gts),
             g_occ=np.fromiter(map(itemgetter('occluded'), gts), np.float64, count=len(gts)),
             g_trunc=np.fromiter(map(itemgetter('truncated'), gts), np.float64, count=len(gts)),
             d_img=np.repeat(np.arange(n_img), [len(ds) for ds in det_per_image]),
             d_code=_type_codes(dets), d_box=_boxes(dets),
             d_score=np.fromiter(map(itemgetter('score'), dets), np.float64, count=len(dets)))
    f['d_h'] = np.floor(np.abs(f['d_box'][:, 1] - f['d_box'][:, 3]))  # the devkit's int32 height
    dc = np.flatnonzero(f['g_code'] == _CODE['dontcare'])
    j, k = _pairs(f['d_img'], f['g_img'][dc], n_img)
    dc_ov = np.zeros(len(dets))
    np.maximum.at(dc_ov, j, _overlaps(f['d_box'][j], f['g_box'][dc[k]], 0))
    f['d_dc'] = dc_ov
    return f


def _greedy(prob: np.ndarray, rank: np.ndarray, slot: np.ndarray, n_slots: int) -> np.ndarray:
    """The devkit's sequential assignment, for many independent matching problems at once.

    Edges are candidate (gt, detection) pairs, sorted by problem and, within a problem and a gt,
    by preference (the first is the one the gt takes when free). ``rank``: the gt's position
    among its image's matched gts (the devkit visits gts in order), ``slot``: the detection's
    id, unique across problems. Step r lets the r-th gt of every problem take its first edge
    whose detection is still free: a loop over gt positions (about 20), not over problems.
    Returns the indices of the taken edges."""
    order = np.argsort(rank, kind='stable')  # rank-major, problem order kept within a rank
    r_sorted = rank[order]
    bounds = np.flatnonzero(np.diff(r_sorted)) + 1
    assigned = np.zeros(n_slots, bool)
    taken = []
    for e in np.split(order, bounds):
        free = e[~assigned[slot[e]]]
        if not len(free):
            continue
        p = prob[free]
        first = free[np.concatenate(([True], p[1:] != p[:-1]))]
        assigned[slot[first]] = True
        taken.append(first)
    return np.concatenate(taken) if taken else np.zeros(0, np.int64)


def _thresholds_array(scores: np.ndarray, n_gt: int) -> np.ndarray:
    """:func:`_thresholds` (bitwise the same floats) with one numpy pass per recall point (at
    most ~41) instead of a Python step per true positive."""
    v = np.sort(scores)[::-1]
    m = len(v)
    if m == 0:
        return v
    idx = np.arange(m)
    l_recall = (idx + 1) / n_gt
    r_recall = np.append((idx[:-1] + 2) / n_gt, l_recall[-1])
    out, current, i = [], 0.0, 0
    while i < m:
        # the devkit skips score i while the next recall is closer to the current point
        skip = (r_recall[i:] - current) < (current - l_recall[i:])
        skip[-1] = False  # the last score is always taken
        i += int(np.argmin(skip))
        out.append(v[i])
        current += 1.0 / (N_SAMPLE_PTS - 1.0)
        i += 1
    return np.array(out)


def _class_curves(f: dict, cls: str, difficulties: Sequence[int]
                  ) -> Dict[int, Optional[np.ndarray]]:
    """The devkit's 41-point precision of ``cls`` at each of ``difficulties`` (None where the
    difficulty holds no counted ground truth), from :func:`prepare_kitti`'s arrays.

    Which detection a gt takes depends on the difficulty only through the minimum detection
    height (40 px Easy, 25 px Moderate/Hard: detections below it are *ignored* and can absorb a
    match); the gt's own difficulty flag only decides whether its match counts as a TP. So each
    distinct minimum height is matched once for the difficulties sharing it. Matching happens
    on sparse edges (gt, detection) with IoU above the class threshold, all images at once
    (:func:`_greedy`): first by score (the true positives' scores give the recall thresholds),
    then by IoU once per (image, distinct score) whose set of active detections some threshold
    selects, its TP / FP counted for the whole run of thresholds that selects it."""
    c, mo = _CODE[cls], MIN_OVERLAP[cls]
    nb = _CODE.get(NEIGHBOURS.get(cls), -1)
    n_img = f['n_img']
    g_rel = np.flatnonzero((f['g_code'] == c) | (f['g_code'] == nb))  # class + neighbour gts
    own = f['g_code'][g_rel] == c
    occ, trunc = f['g_occ'][g_rel], f['g_trunc'][g_rel]
    height = f['g_box'][g_rel, 3] - f['g_box'][g_rel, 1]
    g_img = f['g_img'][g_rel]
    # position of each relevant gt among its image's relevant gts (visiting order)
    g_rank = np.arange(len(g_rel)) - np.searchsorted(g_img, g_img, 'left')
    counts = {d: own & (occ <= MAX_OCCLUSION[d]) & (trunc <= MAX_TRUNCATION[d])
              & (height > MIN_HEIGHT[d]) for d in difficulties}  # ``cleanData``: gt counts
    out: Dict[int, Optional[np.ndarray]] = {d: None for d in difficulties if not counts[d].any()}
    for h in sorted({MIN_HEIGHT[d] for d in difficulties if d not in out}, reverse=True):
        diffs = [d for d in difficulties if MIN_HEIGHT[d] == h and d not in out]
        # detections taking part: this class (evaluated, idet 0) or too small (ignored, idet 1)
        d_idx = np.flatnonzero((f['d_code'] == c) | (f['d_h'] < h))
        d_img, score = f['d_img'][d_idx], f['d_score'][d_idx]
        evaluated = f['d_h'][d_idx] >= h
        counted_fp = evaluated & ~(f['d_dc'][d_idx] > mo)  # unmatched -> false positive
        d_start = np.searchsorted(d_img, np.arange(n_img))  # first taking part per image
        local = np.arange(len(d_idx)) - d_start[d_img]
        n_slot = int(local.max()) + 1 if len(local) else 1
        # candidate edges: IoU above the class threshold, gt-major within an image
        gi, dj = _pairs(g_img, d_img, n_img)
        iou = _overlaps(f['d_box'][d_idx[dj]], f['g_box'][g_rel[gi]])
        keep = iou > mo
        gi, dj, iou = gi[keep], dj[keep], iou[keep]

        # 1) ``computeStatistics`` without FP: each gt takes the free detection of highest score
        pref = np.lexsort((dj, -score[dj], g_rank[gi], g_img[gi]))
        taken = pref[_greedy(g_img[gi[pref]], g_rank[gi[pref]], dj[pref],
                             len(d_idx))]
        thresholds = {}
        for d in diffs:
            tp = taken[counts[d][gi[taken]] & evaluated[dj[taken]]]
            thresholds[d] = _thresholds_array(score[dj[tp]], int(counts[d].sum()))

        # 2) distinct scores per image (descending): the cut points of the active set
        o = np.lexsort((-score, d_img))
        new = np.ones(len(o), bool)
        new[1:] = (d_img[o[1:]] != d_img[o[:-1]]) | (score[o[1:]] != score[o[:-1]])
        cut_of = np.empty(len(o), np.int64)
        cut_of[o] = np.cumsum(new) - 1  # each detection's cut id (image-major)
        cut_img, cut_u = d_img[o[new]], score[o[new]]
        n_cut = len(cut_img)
        last = np.ones(n_cut, bool)
        last[:-1] = cut_img[1:] != cut_img[:-1]
        # thresholds k use the active set of cut u while u >= t_k > the image's next cut
        seg = {}
        need = np.zeros(n_cut, bool)
        for d in diffs:
            neg = -thresholds[d]
            a = np.searchsorted(neg, -cut_u, 'left')
            b = np.where(last, len(neg), np.append(a[1:], 0))
            seg[d] = (a, b)
            need |= a < b
        probs = np.flatnonzero(need)
        # per cut, evaluated detections outside DontCare at or above it: the FP before matching
        n_fp0 = np.bincount(cut_of[counted_fp], minlength=n_cut).cumsum()
        first_cut = np.searchsorted(cut_img, cut_img, 'left')
        n_fp0 = n_fp0 - np.where(first_cut > 0, n_fp0[first_cut - 1], 0)

        # 3) ``computeStatistics`` with FP, per needed (image, cut): highest IoU among evaluated
        # detections (first on ties), else the first ignored one; edges replicated per problem
        pref = np.lexsort((dj, np.where(evaluated[dj], -iou, 0.0), ~evaluated[dj], g_rank[gi],
                           g_img[gi]))
        gi_s, dj_s = gi[pref], dj[pref]
        e_start = np.searchsorted(g_img[gi_s], np.arange(n_img))
        n_e = np.bincount(g_img[gi_s], minlength=n_img)
        reps = n_e[cut_img[probs]]
        e = np.repeat(e_start[cut_img[probs]], reps) + _ragged_arange(reps)
        p = np.repeat(np.arange(len(probs)), reps)
        act = cut_of[dj_s[e]] <= probs[p]  # detection score >= the problem's cut
        e, p = e[act], p[act]
        taken = _greedy(p, g_rank[gi_s[e]], p * n_slot + local[dj_s[e]], len(probs) * n_slot)
        tg, td, tprob = gi_s[e[taken]], dj_s[e[taken]], p[taken]
        fp = n_fp0[probs] - np.bincount(tprob, counted_fp[td], len(probs)).astype(np.int64)
        for d in diffs:
            tp = np.bincount(tprob, counts[d][tg] & evaluated[td], len(probs)).astype(np.int64)
            a, b = seg[d][0][probs], seg[d][1][probs]
            n_th = len(thresholds[d])
            tp_k = np.cumsum(np.bincount(a, tp, n_th + 1) - np.bincount(b, tp, n_th + 1))
            fp_k = np.cumsum(np.bincount(a, fp, n_th + 1) - np.bincount(b, fp, n_th + 1))
            tp_k, fp_k = tp_k[:n_th].astype(np.int64), fp_k[:n_th].astype(np.int64)
            precision = np.zeros(N_SAMPLE_PTS)
            total = tp_k + fp_k
            np.divide(tp_k, total, out=precision[:n_th], where=total > 0)
            out[d] = np.maximum.accumulate(precision[::-1])[::-1]
    return out


def kitti_precision_curve(cls: str, gt_per_image: List[List[dict]],
                          det_per_image: List[List[dict]], difficulty: int,
                          prepared: Optional[dict] = None) -> Optional[np.ndarray]:
    """The devkit's 41-point interpolated precision for one class and difficulty; None when the
    difficulty holds no counted ground truth of that class.

    Same numbers as the devkit transliteration
    (:func:`~crevdet.evaluation.functional.kitti_reference.kitti_precision_curve_reference`,
    checked by randomised equivalence tests), vectorised with numpy (timed by
    ``tools/analysis_tools/kitti_eval_speed.py`` on 7,481 images): labels are read into arrays
    once, IoUs computed once per class, and the devkit's greedy matching runs on sparse
    candidate edges for all images and score cuts at once (:func:`_class_curves`).
    ``prepared``: :func:`prepare_kitti` of the two lists, to share across classes."""
    f = prepared if prepared is not None else prepare_kitti(gt_per_image, det_per_image)
    return _class_curves(f, cls.lower(), (difficulty, ))[difficulty]


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
    if curve is None:
        return kitti_eval_prepared(prepare_kitti(gt_per_image, det_per_image), classes)
    out: Dict[str, float] = {}
    for cls in classes:
        if cls.lower() not in MIN_OVERLAP:
            raise ValueError(f'KITTI 2D evaluation defines Car, Pedestrian, Cyclist; got {cls!r}')
        for d, name in enumerate(DIFFICULTIES):
            _add_ap(out, cls, name, curve(cls, gt_per_image, det_per_image, d))
    return _add_map(out)


def kitti_eval_prepared(prepared: dict, classes: Sequence[str] = CLASSES) -> Dict[str, float]:
    """:func:`kitti_eval` from :func:`prepare_kitti`'s arrays (or
    :func:`resample_prepared`'s)."""
    out: Dict[str, float] = {}
    for cls in classes:
        if cls.lower() not in MIN_OVERLAP:
            raise ValueError(f'KITTI 2D evaluation defines Car, Pedestrian, Cyclist; got {cls!r}')
        curves = _class_curves(prepared, cls.lower(), range(len(DIFFICULTIES)))
        for d, name in enumerate(DIFFICULTIES):
            _add_ap(out, cls, name, curves[d])
    return _add_map(out)


def _add_ap(out: dict, cls: str, name: str, prec: Optional[np.ndarray]) -> None:
    if prec is not None:  # None: no counted ground truth at this difficulty
        out[f'{cls}_{name}_R40'] = ap_r40(prec)
        out[f'{cls}_{name}_R11'] = ap_r11(prec)


def _add_map(out: dict) -> dict:
    for rule in ('R40', 'R11'):
        vals = [v for k, v in out.items() if k.endswith(rule)]
        if vals:
            out[f'mAP_{rule}'] = float(np.mean(vals))
    return out


def resample_prepared(prepared: dict, idx: Sequence[int]) -> dict:
    """:func:`prepare_kitti`'s arrays of the images ``idx`` (in that order, repeats allowed: a
    bootstrap draw), gathered from those of all images instead of read from the dicts again;
    :func:`kitti_eval_prepared` of it equals :func:`kitti_eval` of the same image lists."""
    idx = np.asarray(idx, np.int64)
    out = dict(n_img=len(idx))
    for kind, keys in (('g', ('code', 'box', 'occ', 'trunc')),
                       ('d', ('code', 'box', 'score', 'h', 'dc'))):
        img = prepared[f'{kind}_img']
        start = np.searchsorted(img, np.arange(prepared['n_img']))
        count = np.bincount(img, minlength=prepared['n_img'])
        rows = np.repeat(start[idx], count[idx]) + _ragged_arange(count[idx])
        out[f'{kind}_img'] = np.repeat(np.arange(len(idx)), count[idx])
        for k in keys:
            out[f'{kind}_{k}'] = prepared[f'{kind}_{k}'][rows]
    return out
