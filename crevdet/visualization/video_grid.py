"""Image grids and GIFs of video predictions, each row labelled.

Grid rows (one clip): ``observed`` (the n_past input frames), then, in the columns of the future
steps, ``ground truth``, ``predicted`` and ``copy last`` (the last observed frame repeated: the
baseline every predictor must beat). The GIF shows per frame ``ground truth | predicted``.
"""
import os
import os.path as osp
from typing import List, Optional, Sequence

import cv2
import numpy as np
import torch
from PIL import Image

from .video_writer import write_video

ROW_LABELS = ('observed', 'ground truth', 'predicted', 'copy last')


def _to_uint8(frames: torch.Tensor) -> np.ndarray:
    """``(T, C, H, W)`` in [0, 1] -> ``(T, H, W, 3)`` uint8."""
    arr = (frames.detach().float().clamp(0, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8)
    arr = arr.transpose(0, 2, 3, 1)
    return np.repeat(arr, 3, axis=-1) if arr.shape[-1] == 1 else arr


def _label(text: str, height: int, width: int) -> np.ndarray:
    """White ``(height, width, 3)`` tile with ``text`` in black, scaled to fit."""
    tile = np.full((height, width, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = 1.0
    (tw, th), _ = cv2.getTextSize(text, font, scale, 1)
    while scale > 0.25 and (tw > width - 4 or th > height - 4):
        scale -= 0.05
        (tw, th), _ = cv2.getTextSize(text, font, scale, 1)
    cv2.putText(tile, text, (2, (height + th) // 2), font, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return tile


def prediction_grid(observed: torch.Tensor, gt: Optional[torch.Tensor], pred: torch.Tensor,
                    pad: int = 2, labels: bool = True, copy_last: bool = True) -> np.ndarray:
    """One clip as a labelled grid. Row 1: the observed frames; rows 2-4, in the columns of the
    future steps (right of the observed ones): ground truth (black when unknown), prediction and
    the copy-last-frame baseline. ``labels`` adds a column naming each row (``ROW_LABELS``).
    Returns uint8 ``(H', W', 3)``."""
    obs, prd = _to_uint8(observed), _to_uint8(pred)
    rows = [(0, obs), (len(obs), _to_uint8(gt) if gt is not None else np.zeros_like(prd)),
            (len(obs), prd)]
    if copy_last:
        rows.append((len(obs), np.repeat(obs[-1:], len(prd), 0)))
    h, w = obs.shape[1:3]
    n_cols = len(obs) + len(prd)
    label_w = max(64, min(120, 2 * w)) if labels else 0
    x0 = label_w + (pad if labels else 0)
    canvas = np.full((len(rows) * (h + pad) + pad, x0 + n_cols * (w + pad) + pad, 3), 255,
                     np.uint8)
    for r, (first_col, frames) in enumerate(rows):
        y = pad + r * (h + pad)
        if labels:
            canvas[y:y + h, pad:pad + label_w] = _label(ROW_LABELS[r], h, label_w)
        for c, f in enumerate(frames[:n_cols - first_col], first_col):
            x = x0 + pad + c * (w + pad)
            canvas[y:y + h, x:x + w] = f
    return canvas


def save_prediction_visuals(out_prefix: str, observed: Sequence[torch.Tensor],
                            gt: Sequence[Optional[torch.Tensor]], pred: Sequence[torch.Tensor],
                            fps: float = 4.0) -> List[str]:
    """Write ``<prefix>.png`` (labelled grids of all clips stacked) and ``<prefix>.gif`` (per
    frame: ground truth | prediction side by side, observed frames first). Returns the paths."""
    os.makedirs(osp.dirname(out_prefix) or '.', exist_ok=True)
    grids = [prediction_grid(o, g, p) for o, g, p in zip(observed, gt, pred)]
    width = max(g.shape[1] for g in grids)
    grids = [np.pad(g, ((0, 0), (0, width - g.shape[1]), (0, 0)), constant_values=255)
             for g in grids]
    png = out_prefix + '.png'
    Image.fromarray(np.concatenate(grids, 0)).save(png)
    frames = []
    for o, g, p in zip(observed, gt, pred):
        obs, prd = _to_uint8(o), _to_uint8(p)
        tru = _to_uint8(g) if g is not None else prd
        for f in obs:
            frames.append(np.concatenate([f, f], 1))
        for t, f in zip(tru, prd):
            frames.append(np.concatenate([t, f], 1))
    gif = out_prefix + '.gif'
    write_video(frames, None, gif, fps)
    return [png, gif]
