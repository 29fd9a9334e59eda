"""How far a KITTI mAP margin between two detectors can be trusted.

Both detectors are tested on the same images; the margin ``metric(a) - metric(b)`` is measured

* with a **paired bootstrap over images**: the images are drawn again with replacement, the same
  draw for both detectors, ``n_boot`` times (the images are the unit that varies between test
  sets; the detectors are fixed);
* on **disjoint subsets** of ``size`` images: what a smaller test split (e.g. the demo's 60 val
  images) would have reported instead.

Inputs are per-image lists as :func:`kitti_eval` takes them (ground truth ``{'type',
'truncated', 'occluded', 'bbox'}``, detections ``{'type', 'bbox', 'score'}``). To compare one
detector with several, take each detector's metric on the same draws once
(:func:`bootstrap_draws` / :func:`subset_draws`, then :func:`metric_on_draws`) and subtract.
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


def bootstrap_draws(n_images: int, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """``(n_boot, n_images)`` image indices, each row one draw with replacement."""
    if n_boot < 1:
        raise ValueError(f'n_boot must be >= 1, got {n_boot}')
    return np.random.default_rng(seed).integers(0, n_images, (n_boot, n_images))


def subset_draws(n_images: int, size: int, seed: int = 0) -> np.ndarray:
    """``(n_images // size, size)``: the disjoint subsets of ``size`` images that one random
    order of the images cuts (the rest, ``n_images % size`` images, is left out)."""
    if not 1 <= size <= n_images:
        raise ValueError(f'subset size must be in [1, {n_images}] (the images), got {size}')
    order = np.random.default_rng(seed).permutation(n_images)
    return order[:n_images - n_images % size].reshape(-1, size)


def metric_on_draws(gt: List[list], det: List[list], draws: Sequence[Sequence[int]],
                    classes: Sequence[str] = CLASSES, key: str = 'mAP_R40') -> np.ndarray:
    """``key`` of :func:`kitti_eval` on each draw of image indices (repeats allowed); the images
    are read once and each draw gathers its arrays (:func:`kitti.resample_prepared`)."""
    prepared = prepare_kitti(gt, det)
    out = np.empty(len(draws))
    for k, idx in enumerate(draws):
        res = kitti_eval_prepared(resample_prepared(prepared, idx), classes)
        if key not in res:
            raise KeyError(f'{key!r} is not a kitti_eval result here (these images give '
                           f'{sorted(res)}); e.g. mAP_R40, mAP_R11, Car_moderate_R40')
        out[k] = res[key]
    return out


def margin_bootstrap(gt: List[list], det_a: List[list], det_b: List[list], n_boot: int = 1000,
                     seed: int = 0, classes: Sequence[str] = CLASSES,
                     key: str = 'mAP_R40') -> np.ndarray:
    """``(n_boot,)`` margins ``a - b``, each on one draw with replacement of the ``N`` images."""
    _check(gt, det_a, det_b)
    draws = bootstrap_draws(len(gt), n_boot, seed)
    return (metric_on_draws(gt, det_a, draws, classes, key) -
            metric_on_draws(gt, det_b, draws, classes, key))


def subset_margins(gt: List[list], det_a: List[list], det_b: List[list], size: int,
                   seed: int = 0, classes: Sequence[str] = CLASSES,
                   key: str = 'mAP_R40') -> np.ndarray:
    """``(N // size,)`` margins ``a - b`` on the disjoint subsets of :func:`subset_draws`."""
    _check(gt, det_a, det_b)
    draws = subset_draws(len(gt), size, seed)
    return (metric_on_draws(gt, det_a, draws, classes, key) -
            metric_on_draws(gt, det_b, draws, classes, key))
