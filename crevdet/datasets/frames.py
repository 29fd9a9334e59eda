"""Reading and shaping one frame: the decoding, channel conversion and resize/centre-crop that
the video datasets (``base_video``) and the frame cache (``frame_cache``) share. Both import it;
neither imports the other at module level.
"""
from typing import Optional, Tuple

import cv2
import numpy as np


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


def read_frame_raw(path: str) -> np.ndarray:
    """An 8-bit image with the channels its file has: ``(H, W, C)``, C = 1 (gray), 3 (RGB) or
    4 (RGBA), upright as image viewers show it (a JPEG's EXIF orientation applied); error names
    the file."""
    # IMREAD_UNCHANGED keeps alpha but ignores EXIF orientation; JPEGs (the files that carry it,
    # e.g. from phones and dashcams) have no alpha, so read them with a flag that applies it
    jpeg = str(path).lower().endswith(('.jpg', '.jpeg'))
    img = cv2.imread(str(path), cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH if jpeg
                     else cv2.IMREAD_UNCHANGED)
    if img is None:
        raise OSError(f'cannot read frame {path}: missing, unreadable or corrupt image file')
    if jpeg and not jpeg_is_complete(path):  # libjpeg fills a cut-off JPEG with grey, no error
        raise OSError(f'frame {path} is a truncated JPEG (no end-of-image marker): its lower '
                      'part would be grey; re-extract or re-download it')
    if img.dtype != np.uint8:
        raise ValueError(f'frame {path} has {img.dtype} pixels; 8-bit images are expected')
    if img.ndim == 2:
        return img[:, :, None]
    return img[:, :, 2::-1] if img.shape[2] == 3 else img[:, :, [2, 1, 0, 3]]


def jpeg_is_complete(path: str) -> bool:
    """Whether a JPEG file ends with its end-of-image marker (``FF D9``; trailing padding
    allowed). A file cut short (interrupted copy or download) has none."""
    with open(path, 'rb') as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - 4096))
        tail = f.read().rstrip(b'\x00\r\n ')
    return tail.endswith(b'\xff\xd9')


def convert_channels(img: np.ndarray, channels: int) -> np.ndarray:
    """``read_frame_raw`` output to RGB ``(H, W, 3)`` or gray ``(H, W, 1)``."""
    c = img.shape[2]
    if channels == 3:
        return np.repeat(img, 3, 2) if c == 1 else img[:, :, :3]
    if c == 1:
        return img
    return cv2.cvtColor(np.ascontiguousarray(img[:, :, :3]), cv2.COLOR_RGB2GRAY)[:, :, None]


def read_image(path: str, channels: int = 3) -> np.ndarray:
    """Read an image as uint8 RGB (H, W, 3) or gray (H, W, 1); error names the file."""
    return convert_channels(read_frame_raw(path), channels)
