"""KITTI ``label_2`` files: parsing and validating ground truth, writing detections in the
benchmark's submission format (the same 15 fields plus a score)."""
from typing import Dict, List, Optional, Sequence

import numpy as np


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


def read_text_lines(path: str, what: str = 'label file') -> List[str]:
    """The lines of a UTF-8 (ASCII) text file; an error naming the file and the byte offset
    when it is not text (e.g. a binary or Latin-1 file in its place)."""
    try:
        with open(path, encoding='utf-8') as fh:
            return fh.read().splitlines(True)
    except UnicodeDecodeError as e:
        raise ValueError(f'{what} {path} is not UTF-8 text ({e.reason} at byte {e.start}); KITTI '
                         f'{what}s are plain ASCII text') from None


def read_kitti_label_file(path: str, class_map: Optional[Dict[str, Optional[str]]] = None,
                          unknown_classes: str = 'error', invalid_boxes: str = 'error',
                          dropped: Optional[Dict[str, int]] = None,
                          with_score: bool = False) -> List[dict]:
    """Parse and validate a ``label_2`` file. Every object type must be one of
    :data:`KITTI_TYPES` after ``class_map`` (``{'Carr': 'Car'}``; a value of None drops the
    object), and every box finite with ``x2 > x1`` and ``y2 > y1``; otherwise an error names the
    file and line, unless ``unknown_classes='ignore'`` / ``invalid_boxes='drop'``, which drop
    the object and count it in ``dropped`` (keys ``'unknown_class'``, ``'invalid_box'``).
    Ground truth has 15 fields: a line with a 16th (a detection's score) is an error unless
    ``with_score`` (reading detection results)."""
    if unknown_classes not in ('error', 'ignore') or invalid_boxes not in ('error', 'drop'):
        raise ValueError(f"unknown_classes must be 'error'/'ignore' and invalid_boxes "
                         f"'error'/'drop', got {unknown_classes!r}, {invalid_boxes!r}")
    class_map = class_map or {}
    dropped = {} if dropped is None else dropped
    objects = []
    for i, ln in enumerate(read_text_lines(path)):
        if not ln.strip():
            continue
        obj = parse_kitti_label_line(ln, path, i + 1)
        if 'score' in obj and not with_score:
            raise ValueError(
                f'{path}:{i + 1}: 16 fields: a detection result (the 16th field is a score), '
                'not a ground-truth label (15 fields); label_2 must hold the annotations, '
                'not a detector\'s output')
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


def format_kitti_label_line(obj: dict) -> str:
    """A ground-truth object (``type``, ``truncated``, ``occluded``, ``bbox``) as a 15-field
    ``label_2`` line, 2D fields only (alpha -10, the 3D fields the devkit's "unset" values)."""
    x1, y1, x2, y2 = obj['bbox']
    return (f"{obj['type']} {obj['truncated']:.2f} {obj['occluded']} -10 {x1:.2f} {y1:.2f} "
            f"{x2:.2f} {y2:.2f} -1 -1 -1 -1000 -1000 -1000 -10")


def format_kitti_line(cls: str, bbox: Sequence[float], score: float) -> str:
    """A detection in ``label_2`` format with score (the benchmark's submission format)."""
    x1, y1, x2, y2 = bbox
    return (f'{cls} -1 -1 -10 {x1:.2f} {y1:.2f} {x2:.2f} {y2:.2f} -1 -1 -1 -1000 -1000 -1000 '
            f'-10 {score:.4f}')
