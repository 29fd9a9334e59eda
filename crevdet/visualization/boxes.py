"""Boxes with class names (and scores) drawn on a BGR image: the tools' one palette and style."""
from typing import Optional, Sequence

import cv2
import numpy as np

PALETTE = [(0, 200, 0), (60, 20, 220), (255, 60, 0), (0, 200, 255), (200, 0, 200)]  # BGR


def draw_boxes(img: np.ndarray, boxes: Sequence[Sequence[float]], labels: Sequence[int],
               classes: Sequence[str], scores: Optional[Sequence[float]] = None,
               thickness: int = 2, font_scale: float = 0.5) -> np.ndarray:
    """A copy of BGR ``img`` with each ``(x1, y1, x2, y2)`` box in its class colour and
    ``'<class>'`` (``'<class> <score>'`` with ``scores``) above it."""
    out = np.ascontiguousarray(img).copy()
    for n, (box, label) in enumerate(zip(boxes, labels)):
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        colour = PALETTE[label % len(PALETTE)]
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
        text = classes[label] if scores is None else f'{classes[label]} {scores[n]:.2f}'
        cv2.putText(out, text, (x1, max(8 + 2 * thickness, y1 - 2 * thickness)),
                    cv2.FONT_HERSHEY_SIMPLEX, font_scale, colour, 1, cv2.LINE_AA)
    return out
