"""One writer of the tools' videos: an MP4 of every frame and a GIF beside it
(``tools/predict.py``, ``tools/detect_video.py``, :func:`save_prediction_visuals`).

Frames are RGB uint8 ``(H, W, 3)``, all of one size. The MP4 (OpenCV's ``mp4v``) is written as
frames arrive, so a long video never sits in memory; the GIF keeps at most ``gif_frames`` frames
(the first ones), shrunk to at most ``gif_width`` pixels wide.
"""
from typing import List, Optional

import cv2
import numpy as np


class VideoWriter:
    """``add`` frames, then ``close`` (or use it as a context manager); either path may be
    None to skip that file. ``fps`` is the frame rate of both."""

    def __init__(self, mp4: Optional[str], gif: Optional[str], fps: float,
                 gif_frames: Optional[int] = None, gif_width: Optional[int] = None) -> None:
        self.mp4, self.gif, self.fps = mp4, gif, fps
        self.gif_frames, self.gif_width = gif_frames, gif_width
        self._vw = None
        self._gif: List[np.ndarray] = []
        self.n = 0

    def add(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        if self.mp4 is not None:
            if self._vw is None:
                self._vw = cv2.VideoWriter(self.mp4, cv2.VideoWriter_fourcc(*'mp4v'), self.fps,
                                           (w, h))
            self._vw.write(np.ascontiguousarray(frame[:, :, ::-1]))
        if self.gif is not None and (self.gif_frames is None or len(self._gif) < self.gif_frames):
            if self.gif_width and w > self.gif_width:
                frame = cv2.resize(frame, (self.gif_width, h * self.gif_width // w),
                                   interpolation=cv2.INTER_AREA)
            self._gif.append(frame)
        self.n += 1

    def close(self) -> List[str]:
        """Finish both files; returns the paths written."""
        out = []
        if self._vw is not None:
            self._vw.release()
            self._vw = None
            out.append(self.mp4)
        if self.gif is not None and self._gif:
            from PIL import Image
            imgs = [Image.fromarray(f) for f in self._gif]
            imgs[0].save(self.gif, save_all=True, append_images=imgs[1:],
                         duration=int(1000 / self.fps), loop=0)
            out.append(self.gif)
        return out

    def __enter__(self) -> 'VideoWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_video(frames, mp4: Optional[str], gif: Optional[str], fps: float) -> List[str]:
    """Every frame of ``frames`` (RGB uint8) into ``mp4`` and ``gif``; returns the paths."""
    writer = VideoWriter(mp4, gif, fps)
    for f in frames:
        writer.add(f)
    return writer.close()
