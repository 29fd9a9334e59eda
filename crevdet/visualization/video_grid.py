"""Image grids and GIFs of video predictions (observed | ground truth | prediction)."""
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from PIL import Image


def _to_uint8(frames: torch.Tensor) -> np.ndarray:
    """``(T, C, H, W)`` in [0, 1] -> ``(T, H, W, 3)`` uint8."""
    arr = (frames.detach().float().clamp(0, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8)
    arr = arr.transpose(0, 2, 3, 1)
    return np.repeat(arr, 3, axis=-1) if arr.shape[-1] == 1 else arr


def prediction_grid(observed: torch.Tensor, gt: Optional[torch.Tensor], pred: torch.Tensor,
                    pad: int = 2) -> np.ndarray:
    """One clip as a 3-row grid: observed frames on the first row; ground truth (second row) and
    prediction (third row) in the columns of the future steps, right of the observed ones.
    Returns uint8 ``(H', W', 3)``."""
    obs, prd = _to_uint8(observed), _to_uint8(pred)
    rows = [(0, obs), (len(obs), _to_uint8(gt) if gt is not None else np.zeros_like(prd)),
            (len(obs), prd)]
    h, w = obs.shape[1:3]
    n_cols = len(obs) + len(prd)
    canvas = np.full((3 * (h + pad) + pad, n_cols * (w + pad) + pad, 3), 255, np.uint8)
    for r, (first_col, frames) in enumerate(rows):
        for c, f in enumerate(frames[:n_cols - first_col], first_col):
            y, x = pad + r * (h + pad), pad + c * (w + pad)
            canvas[y:y + h, x:x + w] = f
    return canvas


def save_prediction_visuals(out_prefix: str, observed: Sequence[torch.Tensor],
                            gt: Sequence[Optional[torch.Tensor]], pred: Sequence[torch.Tensor],
                            fps: float = 4.0) -> List[str]:
    """Write ``<prefix>.png`` (grids of all clips stacked) and ``<prefix>.gif`` (per frame:
    ground truth | prediction side by side, observed frames first). Returns the paths."""
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
    imgs = [Image.fromarray(f) for f in frames]
    imgs[0].save(gif, save_all=True, append_images=imgs[1:], duration=int(1000 / fps), loop=0)
    return [png, gif]
