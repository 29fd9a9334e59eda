"""Common machinery of the video-prediction datasets.

A dataset is a list of clips, each a list of frame references (file paths, or ``(video, index)``
pairs); ``__getitem__`` loads the frames, resizes/centre-crops them identically to ``frame_size``
and applies one random horizontal flip to the whole clip. Frames stay uint8 until the data
preprocessor. Item: ``dict(inputs=uint8 (T, C, H, W), data_samples=BaseDataElement(metainfo))``.
"""
import os.path as osp
import re
from typing import Any, List, Optional, Sequence

import numpy as np
import torch
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

from .frames import (convert_channels, jpeg_is_complete, read_frame_raw,  # noqa: F401
                     read_image, resize_center_crop)


def natural_key(name: str) -> list:
    """Sort key that orders numbers by value: ``2.png`` before ``10.png`` (plain ``sorted``
    puts ``10.png`` first, which reorders frames whose names are not zero-padded)."""
    return [(1, int(t), '') if t.isdigit() else (0, 0, t) for t in re.split(r'(\d+)', name)]


def frame_number(path: str) -> Optional[int]:
    stem = osp.splitext(osp.basename(path))[0]
    return int(stem) if stem.isdigit() else None


def _missing(nums: List[int]) -> List[int]:
    return [n for a, b in zip(nums, nums[1:]) for n in range(a + 1, b)]


def missing_frame_numbers(frames: List[str]) -> List[int]:
    """The frame numbers missing between sorted, numbered frame files (``0000000042.png``);
    empty when the names are not all plain numbers (no gap can be seen then)."""
    nums = [frame_number(f) for f in frames]
    return [] if any(n is None for n in nums) else _missing(sorted(set(nums)))


def check_one_file_per_frame(frames: List[str], source: str) -> None:
    """A ValueError naming ``source`` when two files hold the same frame (``000004.png`` and
    ``000004.jpg``, or ``4.png`` and ``0004.png``): the video would show every such frame twice."""
    seen, twice = {}, []
    for f in frames:
        stem = osp.splitext(osp.basename(f))[0]
        key = int(stem) if stem.isdigit() else stem
        if key in seen:
            twice.append(f'{osp.basename(seen[key])} and {osp.basename(f)}')
        else:
            seen[key] = f
    if twice:
        raise ValueError(f'{source}: {len(twice)} frame(s) stored twice ({"; ".join(twice[:3])}'
                         f'{" ..." if len(twice) > 3 else ""}); keep one file per frame (one '
                         'extension) in the folder')


def split_at_gaps(frames: List[str], source: str, on_gap: str) -> List[List[str]]:
    """Sorted frame files of one source as runs of consecutive frame numbers. A gap (a missing
    frame) is an error naming the source and the missing numbers unless ``on_gap='split'``, where
    the runs become separate sources so that no clip jumps over a gap. Frame names that are not
    plain numbers (``frame_a.png``; numbered is ``0000000042.png``) cannot show gaps: one run."""
    check_one_file_per_frame(frames, source)
    nums = [frame_number(f) for f in frames]
    if not frames or any(n is None for n in nums):
        return [frames]
    cuts = [i for i in range(1, len(nums)) if nums[i] != nums[i - 1] + 1]
    if not cuts:
        return [frames]
    missing = _missing(nums)[:8]
    if on_gap != 'split':
        raise ValueError(
            f'{source}: frame numbering has {len(cuts)} gap(s), missing frame number(s) '
            f'{missing}{" ..." if len(missing) == 8 else ""}; a clip would silently jump over '
            "them. Restore the frames, or set on_gap='split' to use the runs between the gaps "
            'as separate sequences')
    bounds = [0] + cuts + [len(frames)]
    return [frames[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


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
        self.frame_cache = None  # a FrameCache once attach_frame_cache found one
        self._cached_clips: Optional[List[tuple]] = None  # per clip (source, first, step)

    def attach_frame_cache(self, frame_cache: Optional[str], data_root: str, sources: dict,
                           video_step: int = 1) -> None:
        """Read clips from a frame cache (``crevdet.datasets.frame_cache``) instead of decoding
        files: ``frame_cache`` ``'auto'`` (``<data_root>/frame_cache`` when present), a cache
        folder, or None. ``sources``: every frame folder (-> its frame files) / video (-> its
        path) the dataset found; a cache that differs from them, or holds another frame size,
        is refused with an error that names it. Call after ``self.clips`` is complete."""
        from .frame_cache import FrameCache, resolve_frame_cache
        cache_dir = resolve_frame_cache(frame_cache, data_root)
        if cache_dir is None:
            return
        root = data_root if osp.isdir(data_root) else osp.dirname(data_root)
        cache = FrameCache(cache_dir)
        cache.check(sources, root, self.frame_size, self.channels)
        self._cached_clips = [cache.locate(refs, self.clip_len, video_step)
                              for refs in self.clips]
        self.frame_cache = cache

    @property
    def metainfo(self) -> dict:
        """What one clip is (the metainfo that mmengine / mmdet dataset wrappers such as
        ``ConcatDataset`` read from every part)."""
        return dict(clip_len=self.clip_len, frame_size=self.frame_size, channels=self.channels)

    def full_init(self) -> None:
        """mmengine's lazy-init interface: the clips are indexed in ``__init__`` already."""

    def load_frame(self, ref: Any) -> np.ndarray:
        """A frame as stored, ``(H, W, C)`` uint8 with C its file's channels (see
        ``read_frame_raw``); :meth:`get_clip` checks that a clip's frames agree."""
        return read_frame_raw(ref)

    def __len__(self) -> int:
        return len(self.clips)

    def get_clip(self, idx: int) -> np.ndarray:
        """uint8 ``(T, H, W, C)`` after resize/crop, before flip. The frames of a clip must have
        one size and one channel count (a mismatch means a corrupt or mixed source: error)."""
        if self._cached_clips is not None:  # resized frames, memory-mapped: no decode
            return self.frame_cache.read(*self._cached_clips[idx], self.clip_len)
        refs = self.clips[idx]
        raw = [self.load_frame(r) for r in refs]
        for r, f in zip(refs[1:], raw[1:]):
            if f.shape != raw[0].shape:
                raise ValueError(
                    f'frame {r} is {f.shape[1]}x{f.shape[0]} with {f.shape[2]} channel(s) but '
                    f'{refs[0]} of the same clip is {raw[0].shape[1]}x{raw[0].shape[0]} with '
                    f'{raw[0].shape[2]}: every frame of a video must have one size and channel '
                    'count (re-extract the odd frame)')
        return np.stack([resize_center_crop(convert_channels(f, self.channels), self.frame_size)
                         for f in raw])

    def __getitem__(self, idx: int) -> dict:
        clip = self.get_clip(idx)
        flip = self.flip_prob > 0 and np.random.rand() < self.flip_prob
        if flip:
            clip = clip[:, :, ::-1]
        inputs = torch.from_numpy(np.ascontiguousarray(clip.transpose(0, 3, 1, 2)))
        meta = dict(self.clip_meta[idx], flip=bool(flip), clip_index=idx)
        return dict(inputs=inputs, data_samples=BaseDataElement(metainfo=meta))
