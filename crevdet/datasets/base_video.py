"""Common machinery of the video-prediction datasets.

A dataset is a list of clips, each a list of frame references (file paths, or ``(video, index)``
pairs); ``__getitem__`` loads the frames, resizes/centre-crops them identically to ``frame_size``
and applies one random horizontal flip to the whole clip. Frames stay uint8 until the data
preprocessor. Item: ``dict(inputs=uint8 (T, C, H, W), data_samples=BaseDataElement(metainfo))``.
"""
from typing import Any, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset


def resize_center_crop(img: np.ndarray, size: Optional[Tuple[int, int]]) -> np.ndarray:
    """Scale ``img`` (H, W, C) so that it covers ``size=(h, w)`` keeping its aspect ratio, then
    centre-crop (PredNet's protocol for (128, 160): height to 128, centre 160 columns)."""
    if size is None:
        return img
    th, tw = size
    h, w = img.shape[:2]
    scale = max(th / h, tw / w)
    nh, nw = max(th, round(h * scale)), max(tw, round(w * scale))
    if (nh, nw) != (h, w):
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        img = cv2.resize(img, (nw, nh), interpolation=interp)
        if img.ndim == 2:
            img = img[:, :, None]
    top, left = (nh - th) // 2, (nw - tw) // 2
    return img[top:top + th, left:left + tw]


def read_image(path: str, channels: int = 3) -> np.ndarray:
    """Read an image as uint8 RGB (H, W, 3) or gray (H, W, 1); error names the file."""
    flag = cv2.IMREAD_COLOR if channels == 3 else cv2.IMREAD_GRAYSCALE
    img = cv2.imread(str(path), flag)
    if img is None:
        raise OSError(f'cannot read frame {path}: missing, unreadable or corrupt image file')
    return img[:, :, ::-1] if channels == 3 else img[:, :, None]


class BaseVideoDataset(Dataset):
    """Args:
        clip_len: frames per clip (``n_past + n_future``).
        frame_size: ``(H, W)`` after resize + centre crop, or None to keep the native size.
        flip_prob: probability of flipping a whole clip horizontally (training).
        channels: 3 (RGB) or 1 (gray).
    """

    def __init__(self, clip_len: int, frame_size: Optional[Sequence[int]] = (128, 160),
                 flip_prob: float = 0.0, channels: int = 3) -> None:
        if clip_len < 2:
            raise ValueError(f'clip_len must be >= 2, got {clip_len}')
        self.clip_len = clip_len
        self.frame_size = tuple(frame_size) if frame_size is not None else None
        self.flip_prob = flip_prob
        self.channels = channels
        self.clips: List[List[Any]] = []
        self.clip_meta: List[dict] = []

    def load_frame(self, ref: Any) -> np.ndarray:
        return read_image(ref, self.channels)

    def __len__(self) -> int:
        return len(self.clips)

    def get_clip(self, idx: int) -> np.ndarray:
        """uint8 ``(T, H, W, C)`` after resize/crop, before flip."""
        return np.stack([resize_center_crop(self.load_frame(r), self.frame_size)
                         for r in self.clips[idx]])

    def __getitem__(self, idx: int) -> dict:
        clip = self.get_clip(idx)
        flip = self.flip_prob > 0 and np.random.rand() < self.flip_prob
        if flip:
            clip = clip[:, :, ::-1]
        inputs = torch.from_numpy(np.ascontiguousarray(clip.transpose(0, 3, 1, 2)))
        meta = dict(self.clip_meta[idx], flip=bool(flip), clip_index=idx)
        return dict(inputs=inputs, data_samples=BaseDataElement(metainfo=meta))
