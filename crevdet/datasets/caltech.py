"""Caltech Pedestrian video for the KITTI -> Caltech generalisation protocol (PredNet, CrevNet).

Reads the original ``.seq`` files (``<data_root>/set06/V000.seq``) or frames already extracted to
``<data_root>/set06/V000/<frames>.{jpg,png}``. Test sets set06-set10; every 3rd frame (30 fps ->
KITTI's 10 fps); the same resize + centre crop as KITTI (128x160); non-overlapping clips of
``clip_len`` frames (11 for 10 -> 1, 22 for 10 -> 12).

A ``.seq`` file (Norpix StreamPix) is a 1024-byte header followed by JPEG-compressed frames; frames
are located by their JPEG start-of-image markers and decoded one by one.
"""
import glob
import os
import os.path as osp
from functools import lru_cache
from typing import Optional, Sequence

import cv2
import numpy as np

from crevdet.registry import DATASETS
from .base_video import BaseVideoDataset, read_image

SOI = b'\xff\xd8\xff'


@lru_cache(maxsize=64)
def seq_frame_offsets(path: str) -> tuple:
    """Byte offsets of every JPEG frame in a ``.seq`` file (cached per file)."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 1024:
        raise ValueError(f'{path} is not a Norpix .seq file (shorter than its 1024-byte header)')
    offsets, pos = [], data.find(SOI, 1024)
    while pos != -1:
        offsets.append(pos)
        pos = data.find(SOI, pos + 3)
    if not offsets:
        raise ValueError(f'{path}: no JPEG frames found after the .seq header')
    return tuple(offsets) + (len(data), )


def read_seq_frame(path: str, index: int) -> np.ndarray:
    offsets = seq_frame_offsets(path)
    if not 0 <= index < len(offsets) - 1:
        raise IndexError(f'{path} has {len(offsets) - 1} frames, asked for frame {index}')
    with open(path, 'rb') as f:
        f.seek(offsets[index])
        buf = f.read(offsets[index + 1] - offsets[index])
    img = cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f'cannot decode frame {index} of {path} (corrupt JPEG data)')
    return img[:, :, ::-1]


@DATASETS.register_module()
class CaltechPedestrianDataset(BaseVideoDataset):
    """Args:
        data_root: folder holding ``setXX`` folders.
        sets: which sets (default: the test sets set06-set10).
        frame_step: keep every n-th frame (3: 30 -> 10 fps).
        clip_len / clip_stride: clip length; stride defaults to ``clip_len`` (non-overlapping).
    """

    def __init__(self, data_root: str, clip_len: int = 11,
                 sets: Sequence[str] = ('set06', 'set07', 'set08', 'set09', 'set10'),
                 frame_step: int = 3, clip_stride: Optional[int] = None,
                 frame_size: Optional[Sequence[int]] = (128, 160), flip_prob: float = 0.0) -> None:
        super().__init__(clip_len, frame_size, flip_prob, channels=3)
        stride = clip_stride or clip_len
        videos = []
        for s in sets:
            for seq in sorted(glob.glob(osp.join(glob.escape(osp.join(data_root, s)), '*.seq'))):
                n = len(seq_frame_offsets(seq)) - 1
                videos.append((seq, [(seq, i) for i in range(0, n, frame_step)]))
            for d in sorted(glob.glob(osp.join(glob.escape(osp.join(data_root, s)), 'V*'))):
                if osp.isdir(d):
                    files = sorted(f for f in os.listdir(d)
                                   if f.lower().endswith(('.jpg', '.jpeg', '.png')))
                    videos.append((d, [osp.join(d, f) for f in files[::frame_step]]))
        if not videos:
            raise FileNotFoundError(
                f'no Caltech videos under {data_root!r} for sets {list(sets)}; expected '
                '<data_root>/setXX/VYYY.seq or extracted frames in <data_root>/setXX/VYYY/')
        for name, refs in videos:
            for start in range(0, len(refs) - clip_len + 1, stride):
                self.clips.append(refs[start:start + clip_len])
                self.clip_meta.append(dict(video=name, start_frame=start * frame_step))
        if not self.clips:
            raise ValueError(f'no Caltech video under {data_root!r} holds {clip_len} frames after '
                             f'keeping every {frame_step}th')

    def load_frame(self, ref) -> np.ndarray:
        if isinstance(ref, tuple):
            return read_seq_frame(*ref)
        return read_image(ref)
