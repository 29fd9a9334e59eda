"""The tools' one video writer: every frame in the MP4 (colours kept: RGB in, RGB back), the
GIF capped in frames and width."""
import cv2
import numpy as np
from PIL import Image

from crevdet.visualization.video_writer import VideoWriter, write_video


def _frames(n, h=40, w=64):
    out = []
    for i in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[:, :, 0] = 200  # red in RGB
        f[:, i * 4:i * 4 + 8, 1] = 255
        out.append(f)
    return out


def test_mp4_holds_every_frame_and_the_gif_is_capped(tmp_path):
    mp4, gif = str(tmp_path / 'v.mp4'), str(tmp_path / 'v.gif')
    with VideoWriter(mp4, gif, fps=5, gif_frames=3, gif_width=32) as vw:
        for f in _frames(7):
            vw.add(f)
    cap = cv2.VideoCapture(mp4)
    read = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        read.append(img)
    assert len(read) == 7 and read[0].shape == (40, 64, 3)
    assert read[0][20, 40, 2] > 150 and read[0][20, 40, 0] < 60  # red stays red (BGR on disk)
    im = Image.open(gif)
    assert im.n_frames == 3 and im.size == (32, 20)


def test_write_video_skips_a_file_given_none(tmp_path):
    paths = write_video(_frames(2), None, str(tmp_path / 'only.gif'), fps=4)
    assert paths == [str(tmp_path / 'only.gif')] and not list(tmp_path.glob('*.mp4'))
    assert Image.open(paths[0]).n_frames == 2
