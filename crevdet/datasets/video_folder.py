"""A user's own footage: a folder of video files and/or folders of frame images."""
import os
import os.path as osp
from typing import Callable, Iterator, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.logging import print_log

from crevdet.registry import DATASETS
from .base_video import (BaseVideoDataset, check_one_file_per_frame, natural_key, read_image,
                         resize_center_crop, split_at_gaps)

VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv')
IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp')


def video_frame_count(path: str) -> int:
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise OSError(f'cannot open video {path}: missing, unreadable or unsupported codec')
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    return n


def read_video_frames(path: str, start: int, count: int, step: int = 1) -> np.ndarray:
    """Frames ``start, start+step, ...`` (``count`` of them) as RGB uint8 ``(count, H, W, 3)``."""
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise OSError(f'cannot open video {path}')
    cap.set(cv2.CAP_PROP_POS_FRAMES, start)
    frames, idx = [], start
    while len(frames) < count:
        ok, img = cap.read()
        if not ok:
            cap.release()
            raise OSError(f'cannot decode frame {idx} of video {path} (corrupt or truncated)')
        if (idx - start) % step == 0:
            frames.append(img[:, :, ::-1])
        idx += 1
    cap.release()
    return np.stack(frames)


class FrameReader:
    """Every ``frame_step``-th frame (at most ``max_frames``) of a video file or of a folder of
    images sorted by name, one at a time: a long video is never held in memory. The tools'
    reader of a user's input (through ``crevdet.utils.open_input_frames`` /
    ``read_input_frames``: ``predict.py``, ``detect_video.py``, ``det_fps.py --video``).

    The path is checked when the reader is made (errors name it and the expected input).
    Iterating yields RGB uint8 ``(H, W, 3)`` frames, each passed through ``transform`` when
    given. Attributes: ``fps``, the frame rate after ``frame_step`` (10 for a folder);
    ``expected``, the number of frames the header or the folder promises (for progress bars);
    ``truncated``, set once a video has been read to its end and decoded fewer frames than its
    header announces (a truncated or corrupt file), else None."""

    def __init__(self, path: str, frame_step: int = 1, max_frames: Optional[int] = None,
                 transform: Optional[Callable[[np.ndarray], np.ndarray]] = None) -> None:
        if not isinstance(frame_step, int) or frame_step < 1:
            raise ValueError(f'frame_step must be an integer >= 1, got {frame_step!r}')
        if max_frames is not None and max_frames < 1:
            raise ValueError(f'max_frames must be >= 1 (or None for all), got {max_frames!r}')
        self.path, self.frame_step, self.max_frames = path, frame_step, max_frames
        self.transform = transform or (lambda f: f)
        self.truncated: Optional[str] = None
        self.names: Optional[List[str]] = None
        if osp.isdir(path):
            names = sorted((f for f in os.listdir(path) if f.lower().endswith(IMAGE_EXTS)),
                           key=natural_key)
            if not names:
                raise FileNotFoundError(f'no images ({"/".join(IMAGE_EXTS)}) in {path}')
            check_one_file_per_frame(names, f'frame folder {path}')
            self.names = names[::frame_step][:max_frames]
            self.fps, self.expected = 10.0, len(self.names)
            return
        if not osp.isfile(path):
            raise FileNotFoundError(f'input {path} does not exist')
        if not path.lower().endswith(VIDEO_EXTS):
            raise ValueError(f'{path} is neither a video ({"/".join(VIDEO_EXTS)}) nor a folder '
                             'of frames')
        cap = cv2.VideoCapture(path)
        if not cap.isOpened():
            raise OSError(f'cannot open video {path} (unreadable file or codec)')
        fps, self.announced = cap.get(cv2.CAP_PROP_FPS) or 10.0, int(cap.get(
            cv2.CAP_PROP_FRAME_COUNT))
        cap.release()
        self.fps = fps / frame_step
        self.expected = -(-self.announced // frame_step)
        if max_frames is not None:
            self.expected = min(self.expected, max_frames)

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.names is not None:
            for f in self.names:
                yield self.transform(read_image(osp.join(self.path, f)))
            return
        cap = cv2.VideoCapture(self.path)
        kept = decoded = 0
        try:
            while self.max_frames is None or kept < self.max_frames:
                ok, img = cap.read()
                if not ok:
                    if decoded < self.announced:
                        self.truncated = (f'{self.path} announces {self.announced} frames but '
                                          f'only {decoded} decode (truncated or corrupt file)')
                    break
                if decoded % self.frame_step == 0:
                    kept += 1
                    yield self.transform(img[:, :, ::-1])
                decoded += 1
        finally:
            cap.release()
        if not kept:
            raise OSError(f'no frame of {self.path} could be decoded')


@DATASETS.register_module()
class VideoFolderDataset(BaseVideoDataset):
    """Clips from every video file (``.mp4/.avi/.mov/.mkv``) and every folder of frame images
    (sorted by name) found at ``data_root`` (searched recursively); ``data_root`` may also be a
    single video file.

    Args:
        frame_step: keep every n-th frame (e.g. 3 turns 30 fps footage into 10 fps).
        clip_stride: source frames (after ``frame_step``) between the starts of clips.
        frame_range: ``(start, stop)`` source-frame indices of every video/folder to use, e.g.
            the first 80% for training and the rest for validation.
        on_gap: a frame folder with numbered files (``000042.png``) and a missing number is an
            error (``'error'``) or cut into runs of consecutive frames (``'split'``).
        frame_cache: resized frames written once by
            ``tools/dataset_converters/build_frame_cache.py``: ``'auto'`` (default) uses
            ``<data_root>/frame_cache`` when it exists, a path that cache, None decodes the
            files. A cache of other frames or another frame size is refused (error).
    Sources too short for one clip are skipped and counted in the log.
    """

    def __init__(self, data_root: str, clip_len: int = 11, frame_step: int = 1,
                 clip_stride: int = 1, frame_size: Optional[Sequence[int]] = (128, 160),
                 flip_prob: float = 0.0, frame_range: Optional[Sequence[int]] = None,
                 on_gap: str = 'error', frame_cache: Optional[str] = 'auto') -> None:
        super().__init__(clip_len, frame_size, flip_prob, channels=3)
        if frame_step < 1 or clip_stride < 1:
            raise ValueError(f'frame_step and clip_stride must be >= 1, got {frame_step}, '
                             f'{clip_stride}')
        if on_gap not in ('error', 'split'):
            raise ValueError(f"on_gap must be 'error' or 'split', got {on_gap!r}")
        self.frame_step = frame_step
        sources = self._find_sources(data_root, on_gap)
        if not sources:
            raise FileNotFoundError(
                f'no video files ({"/".join(VIDEO_EXTS)}) or folders of frame images '
                f'({"/".join(IMAGE_EXTS)}) found under {data_root!r}')
        span = (clip_len - 1) * frame_step + 1  # source frames covered by one clip
        short = []
        for kind, src, n, offset in sources:
            # frame_range counts the frames of the whole video / folder; a run cut out of a
            # folder at a gap (on_gap='split') starts at position `offset` of that folder
            first, stop = (0, n) if frame_range is None else (
                max(0, frame_range[0] - offset), min(n, frame_range[1] - offset))
            if stop - first < span:
                short.append(f'{src if kind == "video" else osp.dirname(src[0])} '
                             f'({max(0, stop - first)} frames)')
            for start in range(first, stop - span + 1, clip_stride * frame_step):
                if kind == 'video':
                    self.clips.append([(src, start)])
                else:
                    self.clips.append(src[start:start + span:frame_step])
                self.clip_meta.append(dict(source=src if kind == 'video' else osp.dirname(src[0]),
                                           start_frame=offset + start))
        if short:
            print_log(f'VideoFolderDataset: skipped {len(short)} of {len(sources)} source(s) '
                      f'shorter than one clip ({span} frames): {", ".join(short[:5])}'
                      f'{" ..." if len(short) > 5 else ""}', logger='current', level=30)
        if not self.clips:
            raise ValueError(f'no source under {data_root!r} is long enough for one clip of '
                             f'{clip_len} frames with frame_step={frame_step}')
        # frame folder -> all its frames (the runs of on_gap='split' joined) / video -> itself,
        # for the frame cache (and build_frame_cache.py)
        self.frame_sources = {}
        for kind, src, _, _ in sources:
            if kind == 'video':
                self.frame_sources[src] = src
            else:
                self.frame_sources.setdefault(osp.dirname(src[0]), []).extend(src)
        self.attach_frame_cache(frame_cache, data_root, self.frame_sources, frame_step)

    @staticmethod
    def _find_sources(root: str, on_gap: str = 'error'):
        """``(kind, video path or frame files, frame count, position of the first frame in its
        video / folder)`` per video and per run of consecutive frames."""
        if osp.isfile(root):
            if not root.lower().endswith(VIDEO_EXTS):
                raise ValueError(f'{root!r} is not a video file ({"/".join(VIDEO_EXTS)})')
            return [('video', root, video_frame_count(root), 0)]
        if not osp.isdir(root):
            raise FileNotFoundError(f'video data_root {root!r} does not exist')
        sources = []
        for dirpath, _, files in sorted(os.walk(root)):
            files = sorted(files, key=natural_key)  # frame 2 before frame 10
            for f in files:
                if f.lower().endswith(VIDEO_EXTS):
                    p = osp.join(dirpath, f)
                    sources.append(('video', p, video_frame_count(p), 0))
            images = [osp.join(dirpath, f) for f in files if f.lower().endswith(IMAGE_EXTS)]
            offset = 0  # position of the run's first frame in its folder
            for run in split_at_gaps(images, f'frame folder {dirpath}', on_gap) if images else []:
                sources.append(('frames', run, len(run), offset))
                offset += len(run)
        return sources

    def get_clip(self, idx: int) -> np.ndarray:
        refs = self.clips[idx]
        if isinstance(refs[0], tuple) and self.frame_cache is None:  # (video, start): decode
            # the clip sequentially
            path, start = refs[0]
            raw = read_video_frames(path, start, self.clip_len, self.frame_step)
            return np.stack([resize_center_crop(f, self.frame_size) for f in raw])
        return super().get_clip(idx)
