"""A cache of resized uint8 frames for the video datasets (PredNet's protocol: preprocess once).

Decoding a full-size KITTI PNG (1242x375) and resizing it costs far more than reading the
128x160 result, so ``tools/dataset_converters/build_frame_cache.py`` writes every frame of every
source once, resized and centre-cropped exactly as :meth:`BaseVideoDataset.get_clip` does, and
the datasets memory-map the result (``np.load(mmap_mode='r')``: no decode, no copy of frames a
clip does not use, pages shared between dataloader workers).

Layout of a cache folder::

    manifest.json   {"version", "frame_size": [H, W] | null, "channels",
                     "sources": {source: {"file", "frames": [N], "kind": "frames" | "video",
                                          "files": [paths], "sizes": [bytes], "mtimes": [ns]}}}
    <source>.npy    uint8 (N, H, W, C): every frame of the source, in order

``source`` is the frame folder (``<date>/<drive>/image_02/data``) or video file, relative to
the dataset's ``data_root``; ``files`` its frame files (one entry, the video, for a video) with
the size and modification time they had when the cache was written. The manifest is written
last, so an interrupted build leaves no usable cache. A dataset given a cache checks it against
what it found on disk (:meth:`FrameCache.check`) and refuses a stale one, naming what differs.
"""
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .frames import convert_channels, read_frame_raw, resize_center_crop

MANIFEST = 'manifest.json'
VERSION = 1
DEFAULT_DIR = 'frame_cache'  # under data_root: where ``frame_cache='auto'`` looks

# a dataset's sources: frame folder -> its frame files in order, or video path -> itself
Sources = Dict[str, Union[List[str], str]]


class StaleFrameCacheError(ValueError):
    """The frame cache was written for other frames or another frame size."""


def _file_name(rel: str) -> str:
    return rel.replace(os.sep, '__').replace('/', '__').replace('.', '_') + '.npy'


def _stat(path: str) -> Tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _read_video(path: str) -> List[np.ndarray]:
    """Every decodable frame of a video, RGB ``(H, W, 3)``."""
    import cv2
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise OSError(f'cannot open video {path}')
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img[:, :, ::-1])
    cap.release()
    if not frames:
        raise OSError(f'no frame of {path} could be decoded')
    return frames


def _frame_stream(src: Union[List[str], str]):
    """``(name, raw uint8 frame)`` of a source, checked as ``get_clip`` checks a clip: every
    frame of a source has one size and channel count."""
    if isinstance(src, str):
        for i, f in enumerate(_read_video(src)):
            yield f'{src} frame {i}', f
        return
    first = None
    for path in src:
        f = read_frame_raw(path)
        if first is None:
            first = (path, f.shape)
        elif f.shape != first[1]:
            raise ValueError(
                f'frame {path} is {f.shape[1]}x{f.shape[0]} with {f.shape[2]} channel(s) but '
                f'{first[0]} of the same source is {first[1][1]}x{first[1][0]} with '
                f'{first[1][2]}: every frame of a video must have one size and channel count '
                '(re-extract the odd frame)')
        yield path, f


def build_frame_cache(sources: Sources, root: str, out_dir: str,
                      frame_size: Optional[Sequence[int]], channels: int = 3,
                      progress: Optional[Callable[[str, int], None]] = None) -> dict:
    """Write every frame of ``sources`` (paths under ``root``) resized/cropped to
    ``frame_size`` (``(H, W)``, None: native size) with ``channels`` (3 RGB / 1 gray) into
    ``out_dir``; returns the manifest. ``progress(source, n_frames)`` is called per source."""
    os.makedirs(out_dir, exist_ok=True)
    if osp.exists(osp.join(out_dir, MANIFEST)):
        raise FileExistsError(f'{out_dir} already holds a frame cache ({MANIFEST}); remove the '
                              'folder to rebuild it')
    size = tuple(frame_size) if frame_size is not None else None
    entries = {}
    for key in sorted(sources):
        src = sources[key]
        files = [src] if isinstance(src, str) else list(src)
        stats = [_stat(f) for f in files]  # before reading: a file changed meanwhile is stale
        rel = osp.relpath(key, root)
        name = _file_name(rel)
        if isinstance(src, str):
            # a video's header frame count is unreliable: decode it all, then write
            out = np.stack([resize_center_crop(convert_channels(f, channels), size)
                            for _, f in _frame_stream(src)])
            np.save(osp.join(out_dir, name), out)
            n = len(out)
        else:
            out, n = None, len(files)
            for i, (_, f) in enumerate(_frame_stream(src)):
                f = resize_center_crop(convert_channels(f, channels), size)
                if out is None:  # written in place: a long drive never sits in memory
                    out = np.lib.format.open_memmap(osp.join(out_dir, name), 'w+', np.uint8,
                                                    (n, ) + f.shape)
                out[i] = f
            out.flush()
            del out
        entries[rel] = dict(file=name, frames=n,
                            kind='video' if isinstance(src, str) else 'frames',
                            files=[osp.relpath(f, root) for f in files],
                            sizes=[s[0] for s in stats], mtimes=[s[1] for s in stats])
        if progress is not None:
            progress(rel, n)
    manifest = dict(version=VERSION, frame_size=list(size) if size else None,
                    channels=channels, sources=entries)
    tmp = osp.join(out_dir, MANIFEST + '.tmp')
    with open(tmp, 'w') as f:
        json.dump(manifest, f)
    os.replace(tmp, osp.join(out_dir, MANIFEST))
    return manifest


def resolve_frame_cache(frame_cache: Optional[str], data_root: str) -> Optional[str]:
    """The cache folder a dataset uses: ``'auto'``: ``<data_root>/frame_cache`` when it holds a
    manifest (else none); a path: that cache (an error when it holds none); None / ``False``:
    none."""
    if not frame_cache:
        return None
    if frame_cache == 'auto':
        base = data_root if osp.isdir(data_root) else osp.dirname(data_root)
        path = osp.join(base, DEFAULT_DIR)
        return path if osp.isfile(osp.join(path, MANIFEST)) else None
    if not osp.isfile(osp.join(frame_cache, MANIFEST)):
        raise FileNotFoundError(
            f'frame cache {frame_cache!r} has no {MANIFEST}: build it with '
            'tools/dataset_converters/build_frame_cache.py, or set frame_cache=None to decode '
            'the frames')
    return frame_cache


class FrameCache:
    """A cache folder opened for reading; the ``.npy`` arrays are memory-mapped on first use
    (in each dataloader worker: a memmap is not pickled into workers)."""

    def __init__(self, cache_dir: str) -> None:
        self.dir = cache_dir
        path = osp.join(cache_dir, MANIFEST)
        try:
            with open(path) as f:
                self.manifest = json.load(f)
        except ValueError as e:  # cut short or overwritten: not the build's manifest
            raise StaleFrameCacheError(
                f'{path} is not readable JSON ({e}): the frame cache is damaged. Rebuild it '
                '(delete the folder and run tools/dataset_converters/build_frame_cache.py) or '
                'set frame_cache=None to decode the frames') from None
        if not isinstance(self.manifest, dict) or not isinstance(
                self.manifest.get('sources'), dict):
            raise StaleFrameCacheError(f'{path}: expected a frame cache manifest (an object '
                                       "with 'version' and 'sources'); rebuild the cache")
        if self.manifest.get('version') != VERSION:
            raise StaleFrameCacheError(
                f'frame cache {cache_dir} has format version {self.manifest.get("version")}, '
                f'this code reads {VERSION}: rebuild it with build_frame_cache.py')
        self._arrays: Dict[str, np.ndarray] = {}
        self._where: Dict[str, Tuple[str, int]] = {}

    def __getstate__(self):
        return dict(self.__dict__, _arrays={})

    def _stale(self, what: str) -> StaleFrameCacheError:
        return StaleFrameCacheError(
            f'frame cache {self.dir} is stale: {what}. Rebuild it (delete the folder and run '
            'tools/dataset_converters/build_frame_cache.py) or set frame_cache=None to decode '
            'the frames')

    def check(self, sources: Sources, root: str, frame_size: Optional[Sequence[int]],
              channels: int) -> None:
        """Refuse (:class:`StaleFrameCacheError`, naming the cache and the difference) unless
        the cache holds every source with the same files, sizes and modification times, at this
        ``frame_size`` and ``channels``; index the frames for :meth:`locate`."""
        m = self.manifest
        size = list(frame_size) if frame_size is not None else None
        if m['frame_size'] != size:
            raise self._stale(f'it holds frames of size {m["frame_size"]} (H, W), the dataset '
                              f'asks for {size}')
        if m['channels'] != channels:
            raise self._stale(f'it holds {m["channels"]}-channel frames, the dataset asks for '
                              f'{channels}')
        for key, src in sources.items():
            rel = osp.relpath(key, root)
            entry = m['sources'].get(rel)
            if entry is None:
                raise self._stale(f'source {rel} (under {root}) is not in it (added after the '
                                  'cache was built?)')
            files = [src] if isinstance(src, str) else list(src)
            rels = [osp.relpath(f, root) for f in files]
            if rels != entry['files']:
                added = sorted(set(rels) - set(entry['files']))
                removed = sorted(set(entry['files']) - set(rels))
                raise self._stale(f'source {rel} changed: {len(added)} frame file(s) added '
                                  f'{added[:3]}, {len(removed)} removed {removed[:3]}')
            for f, r, size_, mtime in zip(files, rels, entry['sizes'], entry['mtimes']):
                if _stat(f) != (size_, mtime):
                    raise self._stale(f'{r} changed since the cache was written (size or '
                                      'modification time differs)')
            self._check_array(rel, entry)
            for i, f in enumerate(files):
                self._where[osp.normpath(f)] = (rel, i)

    def _check_array(self, rel: str, entry: dict) -> None:
        """Refuse a source's ``.npy`` whose header or length disagrees with the manifest: the
        dtype (uint8), the frame count, the frame size and channels, and a file long enough
        for them (a truncated copy would fail later inside ``np.load`` naming no file)."""
        path = osp.join(self.dir, entry['file'])
        m = self.manifest
        try:
            with open(path, 'rb') as f:
                version = np.lib.format.read_magic(f)
                read = (np.lib.format.read_array_header_1_0 if version == (1, 0) else
                        np.lib.format.read_array_header_2_0)
                shape, _, dtype = read(f)
                offset = f.tell()
        except (OSError, ValueError) as e:
            raise self._stale(f'{path} (source {rel}) is not a readable .npy file ({e})')
        want = (entry['frames'], ) + (tuple(m['frame_size']) if m['frame_size'] else (None, None)
                                      ) + (m['channels'], )
        if dtype != np.uint8 or len(shape) != 4 or any(
                w is not None and s != w for s, w in zip(shape, want)):
            promised = tuple('any' if w is None else w for w in want)
            raise self._stale(f'{path} (source {rel}) holds {dtype} {tuple(shape)}, the '
                              f'manifest promises uint8 {promised} (N, H, W, C)')
        need = offset + int(np.prod(shape))
        size = os.path.getsize(path)
        if size < need:
            raise self._stale(f'{path} (source {rel}) is truncated: {size} bytes, its header '
                              f'needs {need}')

    def locate(self, refs: Sequence, clip_len: int, video_step: int = 1) -> Tuple[str, int, int]:
        """A clip's frame references (frame paths, or ``[(video, start)]``) as ``(source,
        first index, step)`` in the cache."""
        if isinstance(refs[0], tuple):
            path, start = refs[0]
            return self._where[osp.normpath(path)][0], start, video_step
        idx = [self._where[osp.normpath(r)] for r in refs]
        step = idx[1][1] - idx[0][1] if len(idx) > 1 else 1
        if any(s != idx[0][0] or i != idx[0][1] + k * step for k, (s, i) in enumerate(idx)):
            raise self._stale(f'the frames of clip {refs[0]} ... are not evenly spaced in it')
        return idx[0][0], idx[0][1], step

    def read(self, source: str, first: int, step: int, n: int) -> np.ndarray:
        """uint8 ``(n, H, W, C)``: frames ``first, first + step, ...`` of ``source`` (a copy:
        the memmap stays read-only)."""
        arr = self._arrays.get(source)
        if arr is None:
            entry = self.manifest['sources'][source]
            arr = self._arrays[source] = np.load(osp.join(self.dir, entry['file']),
                                                 mmap_mode='r')
        last = first + step * (n - 1)
        if last >= len(arr):
            raise IndexError(f'a clip needs frame {last} of {source} but frame cache {self.dir} '
                             f'holds {len(arr)} (the video decodes fewer frames than its header '
                             'announces)')
        return np.array(arr[first:last + 1:step])
