"""KITTI raw video, laid out as KITTI distributes it.

``<data_root>/<date>/<date>_drive_<dddd>_sync/<camera>/data/<10 digits>.png``
(e.g. ``2011_09_26/2011_09_26_drive_0001_sync/image_02/data/0000000000.png``).
Splits by drive follow PredNet (Lotter et al.): val ``2011_09_26_drive_0005_sync``, test drives
0104/0079/0070 of 2011_09_26, train every other drive found.
"""
import glob
import os.path as osp
from collections import defaultdict
from typing import Optional, Sequence

from mmengine.logging import print_log

from crevdet.registry import DATASETS
from .base_video import BaseVideoDataset, frame_number, split_at_gaps

PREDNET_SPLITS = dict(
    val=('2011_09_26_drive_0005_sync', ),
    test=('2011_09_26_drive_0104_sync', '2011_09_26_drive_0079_sync',
          '2011_09_26_drive_0070_sync'),
)
LAYOUT = '<data_root>/<date>/<date>_drive_<dddd>_sync/{camera}/data/<10 digits>.png'


@DATASETS.register_module()
class KittiRawVideoDataset(BaseVideoDataset):
    """Clips of ``clip_len`` consecutive frames from KITTI raw drives.

    Args:
        data_root: folder holding the ``<date>`` folders.
        split: ``'train' | 'val' | 'test' | 'all'`` (PredNet's drive split); ignored when
            ``drives`` is given.
        drives: explicit drive folder names (``<date>_drive_<dddd>_sync``) to use.
        camera: ``'image_02'`` (left colour) or ``'image_03'`` (right colour).
        clip_stride: frames between the starts of consecutive clips (``clip_len``: no overlap).
        frame_size / flip_prob: see :class:`BaseVideoDataset`; default PredNet 128x160.
        on_gap: a drive whose frame numbers have a gap (a missing file) is an error
            (``'error'``, default) or cut into runs of consecutive frames (``'split'``: clips
            never span a gap; count logged).
        frame_cache: resized frames written once by
            ``tools/dataset_converters/build_frame_cache.py``: ``'auto'`` (default) uses
            ``<data_root>/frame_cache`` when it exists, a path that cache, None decodes the
            PNGs. A cache of other frames or another frame size is refused (error).
    """

    def __init__(self, data_root: str, clip_len: int = 11, split: str = 'train',
                 drives: Optional[Sequence[str]] = None, camera: str = 'image_02',
                 clip_stride: int = 1, frame_size: Optional[Sequence[int]] = (128, 160),
                 flip_prob: float = 0.0, on_gap: str = 'error',
                 frame_cache: Optional[str] = 'auto') -> None:
        super().__init__(clip_len, frame_size, flip_prob, channels=3)
        if camera not in ('image_02', 'image_03'):
            raise ValueError(f"camera must be 'image_02' or 'image_03', got {camera!r}")
        if split not in ('train', 'val', 'test', 'all'):
            raise ValueError(f"split must be train/val/test/all, got {split!r}")
        if on_gap not in ('error', 'split'):
            raise ValueError(f"on_gap must be 'error' or 'split', got {on_gap!r}")
        if clip_stride < 1:
            raise ValueError(f'clip_stride must be >= 1, got {clip_stride}')
        self.data_root = data_root
        # escaped: a folder named like 'raw [copy]' is a path, not a pattern
        pattern = osp.join(glob.escape(data_root), '*', '*_drive_*_sync', camera, 'data', '*.png')
        by_drive = defaultdict(list)
        for path in glob.glob(pattern):
            by_drive[path.split(osp.sep)[-4]].append(path)
        if not by_drive:
            raise FileNotFoundError(
                f'no KITTI raw frames found under {data_root!r}; expected the raw layout '
                f'{LAYOUT.format(camera=camera)}')
        if drives is not None:
            missing = sorted(set(drives) - set(by_drive))
            if missing:
                raise FileNotFoundError(f'drives {missing} not found under {data_root!r} '
                                        f'(found {sorted(by_drive)})')
            selected = list(drives)
        elif split == 'all':
            selected = sorted(by_drive)
        elif split in PREDNET_SPLITS:
            selected = [d for d in PREDNET_SPLITS[split] if d in by_drive]
        else:
            held_out = set(PREDNET_SPLITS['val'] + PREDNET_SPLITS['test'])
            selected = [d for d in sorted(by_drive) if d not in held_out]
        if not selected:
            raise FileNotFoundError(f'split {split!r} selects no drive under {data_root!r}: '
                                    f'found {sorted(by_drive)}, PredNet split drives are '
                                    f'{PREDNET_SPLITS}; pass drives=[...] explicitly')
        self.drives, skipped, n_split = [], [], 0
        for drive in selected:
            frames = sorted(by_drive[drive])
            runs = split_at_gaps(frames, f'KITTI raw drive {osp.dirname(frames[0])}', on_gap)
            n_split += len(runs) - 1
            if max(len(r) for r in runs) < clip_len:
                skipped.append(f'{drive} ({len(frames)} frames)')
                continue
            self.drives.append(drive)
            for run in runs:
                first = frame_number(run[0]) or 0
                for start in range(0, len(run) - clip_len + 1, clip_stride):
                    self.clips.append(run[start:start + clip_len])
                    self.clip_meta.append(dict(drive=drive, start_frame=first + start))
        if n_split:
            print_log(f'KittiRawVideoDataset: {n_split} gap(s) in frame numbering; drives cut '
                      "there (on_gap='split')", logger='current', level=30)
        if skipped:
            print_log(f'KittiRawVideoDataset: skipped {len(skipped)} drive(s) shorter than '
                      f'clip_len={clip_len}: {", ".join(skipped)}', logger='current')
        if not self.clips:
            raise ValueError(f'no drive under {data_root!r} has {clip_len} frames for one clip')
        # frame folder -> its frames, for the frame cache (and build_frame_cache.py)
        self.frame_sources = {osp.dirname(by_drive[d][0]): sorted(by_drive[d])
                              for d in self.drives}
        self.attach_frame_cache(frame_cache, data_root, self.frame_sources)
