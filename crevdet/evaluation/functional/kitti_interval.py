"""How far a KITTI mAP margin between two detectors can be trusted.

Both detectors are tested on the same images; the margin ``metric(a) - metric(b)`` is measured

* with a **paired bootstrap over images**: the images are drawn again with replacement, the same
  draw for both detectors, ``n_boot`` times (the images are the unit that varies between test
  sets; the detectors are fixed);
* on **disjoint subsets** of ``size`` images: what a smaller test split (e.g. the demo's 60 val
  images) would have reported instead.

Inputs are per-image lists as :func:`kitti_eval` takes them (ground truth ``{'type',
'truncated', 'occluded', 'bbox'}``, detections ``{'type', 'bbox', 'score'}``).
"""
from typing import List, Sequence

import numpy as np

from .kitti import CLASSES, kitti_eval_prepared, prepare_kitti, resample_prepared


def _check(gt: list, det_a: list, det_b: list) -> None:
    if not len(gt) == len(det_a) == len(det_b):
        raise ValueError(f'{len(gt)} ground-truth images, {len(det_a)} and {len(det_b)} '
                         'detection images: the margin needs both detectors on the same images')
    if not gt:
        raise ValueError('no images')


def _metric(prepared: dict, idx, classes: Sequence[str], key: str) -> float:
    res = kitti_eval_prepared(resample_prepared(prepared, idx), classes)
    if key not in res:
        raise KeyError(f'{key!r} is not a kitti_eval result here (these images give '
                       f'{sorted(res)}); e.g. mAP_R40, mAP_R11, Car_moderate_R40')
    return res[key]


def subset_metric(gt: List[list], det: List[list], idx: Sequence[int],
                  classes: Sequence[str] = CLASSES, key: str = 'mAP_R40') -> float:
    """``key`` of :func:`kitti_eval` on the images ``idx`` (repeats allowed: a bootstrap draw)."""
    return _metric(prepare_kitti(gt, det), idx, classes, key)


def margin_bootstrap(gt: List[list], det_a: List[list], det_b: List[list], n_boot: int = 1000,
                     seed: int = 0, classes: Sequence[str] = CLASSES,
                     key: str = 'mAP_R40') -> np.ndarray:
    """``(n_boot,)`` margins ``a - b``, each on one draw with replacement of the ``N`` images."""
    _check(gt, det_a, det_b)
    if n_boot < 1:
        raise ValueError(f'n_boot must be >= 1, got {n_boot}')
    # the images are read once; each draw gathers its arrays (kitti.resample_prepared)
    fa, fb = prepare_kitti(gt, det_a), prepare_kitti(gt, det_b)
    rng = np.random.default_rng(seed)
    out = np.empty(n_boot)
    for k in range(n_boot):
        idx = rng.integers(0, len(gt), len(gt))
        out[k] = _metric(fa, idx, classes, key) - _metric(fb, idx, classes, key)
    return out


def subset_margins(gt: List[list], det_a: List[list], det_b: List[list], size: int,
                   seed: int = 0, classes: Sequence[str] = CLASSES,
                   key: str = 'mAP_R40') -> np.ndarray:
    """``(N // size,)`` margins ``a - b`` on the disjoint subsets of ``size`` images that one
    random order of the ``N`` images cuts (the rest, ``N % size`` images, is left out)."""
    _check(gt, det_a, det_b)
    if not 1 <= size <= len(gt):
        raise ValueError(f'subset size must be in [1, {len(gt)}] (the images), got {size}')
    fa, fb = prepare_kitti(gt, det_a), prepare_kitti(gt, det_b)
    order = np.random.default_rng(seed).permutation(len(gt))
    return np.array([_metric(fa, order[s:s + size], classes, key) -
                     _metric(fb, order[s:s + size], classes, key)
                     for s in range(0, len(gt) - size + 1, size)])
