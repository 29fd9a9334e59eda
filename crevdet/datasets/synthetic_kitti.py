"""A small, deterministic synthetic driving world written in *both* KITTI layouts.

Road scenes (sky, roadside buildings, asphalt texture, lane dashes scrolling with ego-motion) with
moving cars, vans, pedestrians and cyclists of varied size; objects can leave the image (truncation)
and hide each other (occlusion); far-away clutter is labelled DontCare. Used by the demo and by
tests; every output is a pure function of the seed (and of ``camera``).

``camera='still'``: the background never moves, so motion alone marks the objects.
``camera='moving'``: a dashcam. Each drive has its own ego-motion: forward motion as a growing
scale about the vanishing point, a yaw pan (a steady drift plus a slow sway) and a small pitch
bounce; half of the objects are parked (they move only with the camera). The camera maps a point
of the drive's first frame ``(x, y)`` to ``(vx + s (x - vx) + pan, hz + s (y - hz) + pitch)``: an
axis-aligned scale + shift, so every box follows exactly (labels, truncation and occlusion are
computed on the mapped boxes).

Other camera models (:data:`CAMERA_MODELS`: ``'fast_pan'``, ``'roll'``, ``'keystone'``) change
the dashcam's ego-motion, the share of parked objects, object speeds and the background texture,
and warp each whole rendered frame (a roll, a perspective keystone); boxes become the boxes
around their warped corners. A ``'moving'`` world stays byte for byte what it was before they
existed (their draws come after the dashcam's), and so does a ``'still'`` one.

* raw video:  ``<out>/raw/2011_09_26/2011_09_26_drive_<dddd>_sync/image_02/data/<10 digits>.png``
* objects:    ``<out>/object/training/{image_2,label_2,prev_2}`` + ``<out>/object/ImageSets``
  (``prev_2/<id>_01.png`` oldest ... ``_03`` the frame right before the target).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from .kitti_labels import format_kitti_label_line

# class -> (height at the bottom of the image as a fraction of H, width/height range)
SHAPES = {'Car': (0.55, (1.5, 2.3)), 'Van': (0.72, (1.3, 1.8)), 'Pedestrian': (0.62, (0.3, 0.42)),
          'Cyclist': (0.58, (0.55, 0.8))}
CLASS_P = (('Car', 0.45), ('Pedestrian', 0.25), ('Cyclist', 0.2), ('Van', 0.1))


#: camera models beyond the dashcam ('moving'): its ego-motion scaled (``pan``, ``sway``,
#: ``zoom``: factors of the drive's drawn rates), a share of ``parked`` objects, object speeds
#: times ``speed``, a background ``texture``, and a global warp of the whole rendered frame
#: (``roll``: rotation about the image centre up to that many degrees; ``keystone``: a
#: perspective warp moving each image corner by up to that share of the image size). Worlds
#: of these models are for choosing a recipe on some and reporting on others.
CAMERA_MODELS = {
    'fast_pan': dict(pan=3.0, sway=2.5, zoom=1.0, parked=0.8, speed=1.0, texture='stripes',
                     roll=0.0, keystone=0.0),
    'roll': dict(pan=1.0, sway=1.0, zoom=1.5, parked=0.5, speed=1.5, texture='blotches',
                 roll=5.0, keystone=0.0),
    'keystone': dict(pan=1.5, sway=1.0, zoom=0.5, parked=0.65, speed=0.7, texture='checker',
                     roll=0.0, keystone=0.05),
}
CAMERAS = ('still', 'moving') + tuple(CAMERA_MODELS)
#: drives drawn from the object images' random stream (the default world's drives); further
#: drives (more unlabelled video) draw from streams of their own
BASE_DRIVES = 6
RAW_FRAMES = 40  # frames of one raw drive


class Scene:
    """One drive: a background, lane dashes and a set of objects, seen by a still or a moving
    camera (see the module docstring)."""

    def __init__(self, rng: np.random.Generator, size: Tuple[int, int], n_objects: int,
                 camera: str = 'still') -> None:
        if camera not in CAMERAS:
            raise ValueError(f'camera must be one of {CAMERAS}, got {camera!r}')
        self.h, self.w = size
        self.rng = rng
        self.camera = camera
        self.moving = camera != 'still'
        self.style = CAMERA_MODELS.get(camera)
        self.horizon = int(self.h * rng.uniform(0.36, 0.46))
        self.ego_speed = rng.uniform(3, 9)
        # the moving camera sees a wider canvas: pan and pitch bring its margins into view
        self.margin = (8, int((0.5 if camera == 'fast_pan' else 0.22) * self.w)) \
            if self.moving else (0, 0)
        my, mx = self.margin
        self.background = self._background(self.h + 2 * my, self.w + 2 * mx, self.horizon + my,
                                           self.w / 2 + mx)
        self.objects = [self._new_object() for _ in range(n_objects)]
        self.clutter = [(rng.uniform(0.1, 0.9) * self.w, rng.uniform(0.5, 1.5))
                        for _ in range(rng.integers(0, 3))]
        if self.moving:  # drawn last: a still drive's data stay as they always were
            self.zoom_rate = rng.uniform(0.003, 0.009)  # forward motion: s(t) = exp(rate * t)
            self.pan_rate = rng.uniform(-2.0, 2.0) * self.w / 621  # yaw drift, px per frame
            self.sway = (rng.uniform(2, 8) * self.w / 621, rng.uniform(0.1, 0.3),
                         rng.uniform(0, 2 * np.pi))  # yaw sway: amplitude, rad/frame, phase
            self.bounce = (rng.uniform(0.5, 2.0), rng.uniform(0.5, 1.2),
                           rng.uniform(0, 2 * np.pi))  # pitch: amplitude px, rad/frame, phase
            for o in self.objects:  # parked objects move only with the camera
                if rng.uniform() < 0.5:
                    o['vx'], o['vdepth'] = 0.0, 0.0
        if self.style:  # drawn after the dashcam's: a 'moving' drive stays as it always was
            self._draw_style(rng)

    def _draw_style(self, rng: np.random.Generator) -> None:
        """A camera model's changes to the dashcam (see :data:`CAMERA_MODELS`)."""
        st = self.style
        self.zoom_rate *= st['zoom']
        self.pan_rate *= st['pan']
        a, f, ph = self.sway
        self.sway = (a * st['sway'], f, ph)
        extra = (st['parked'] - 0.5) / 0.5  # moving objects parked on top of the dashcam's half
        for o in self.objects:
            if o['vx'] and rng.uniform() < extra:
                o['vx'], o['vdepth'] = 0.0, 0.0
            o['vx'] *= st['speed']
            o['vdepth'] *= st['speed']
        self.roll = (rng.uniform(-0.5, 0.5) * st['roll'], rng.uniform(0.5, 1.0) * st['roll'],
                     rng.uniform(0.1, 0.3), rng.uniform(0, 2 * np.pi))  # deg: base, amp, w, ph
        self.keystone = rng.uniform(-1, 1, (4, 2)) * st['keystone'], \
            rng.uniform(0.1, 0.4, 4), rng.uniform(0, 2 * np.pi, 4)  # corners: amp, w, phase

    def global_warp(self, t: int) -> Optional[np.ndarray]:
        """The 3x3 homography a camera model applies to the whole rendered frame t (None for
        'still' and 'moving'): a roll about the image centre, then a keystone warp of the
        corners, both slightly zoomed in so little of the border is filled."""
        if not self.style or not (self.style['roll'] or self.style['keystone']):
            return None
        h, w = self.h, self.w
        base, amp, freq, ph = self.roll
        deg = base + amp * np.sin(freq * t + ph)
        rot = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), float(deg), 1.08), [0, 0, 1]])
        corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        kamp, kfreq, kph = self.keystone
        moved = corners + (kamp * np.sin(kfreq * t + kph)[:, None] * [w, h]).astype(np.float32)
        return cv2.getPerspectiveTransform(corners, moved) @ rot

    def camera_at(self, t: int) -> Tuple[float, float, float]:
        """(s, pan, pitch) at frame t: a point (x, y) of frame 0's view is seen at
        (w/2 + s (x - w/2) + pan, hz + s (y - hz) + pitch)."""
        if self.camera == 'still':
            return 1.0, 0.0, 0.0
        a, f, ph = self.sway
        b, g, pb = self.bounce
        return (float(np.exp(self.zoom_rate * t)),
                self.pan_rate * t + a * (np.sin(f * t + ph) - np.sin(ph)),
                b * (np.sin(g * t + pb) - np.sin(pb)))

    def to_image(self, x, y, t: int):
        """Frame-0 coordinates -> image coordinates at frame t (scalars or arrays)."""
        s, pan, pitch = self.camera_at(t)
        if self.camera == 'still':
            return x, y
        return self.w / 2 + s * (np.asarray(x) - self.w / 2) + pan, \
            self.horizon + s * (np.asarray(y) - self.horizon) + pitch

    def _background(self, h: int, w: int, hz: int, vx: float) -> np.ndarray:
        """The (h, w) canvas with its horizon at row hz and the vanishing point at column vx."""
        rng = self.rng
        img = np.zeros((h, w, 3), np.float32)
        sky_top, sky_bot = rng.uniform(150, 230, 3), rng.uniform(180, 250, 3)
        for y in range(hz):
            img[y] = sky_top + (sky_bot - sky_top) * y / max(hz, 1)
        x = 0
        while x < w:  # roadside buildings / trees along the horizon
            bw, bh = int(rng.integers(15, 60)), int(rng.integers(10, hz))
            img[max(0, hz - bh):hz + 6, x:x + bw] = rng.uniform(40, 200, 3)
            x += bw + int(rng.integers(0, 10))
        img[hz:] = rng.uniform(70, 110)  # ground
        # the road's edges run from the vanishing point through (+-0.75 w', h') of the view
        # (w', h': the view's size); on a wider canvas they continue to its bottom row
        fw, fh = self.w, self.h
        half = lambda y: 0.04 * fw + 0.71 * fw * (y - hz) / (fh - self.horizon)  # noqa: E731
        road = np.array([[vx - 0.04 * fw, hz], [vx + 0.04 * fw, hz], [vx + half(h), h],
                         [vx - half(h), h]], np.int32)
        cv2.fillPoly(img, [road], (95, 95, 100))
        noise = cv2.resize(rng.normal(0, 14, (h // 4, w // 4)).astype(np.float32), (w, h))
        img += noise[..., None]
        if self.style:  # drawn last: a 'moving' drive's background stays as it always was
            img += self._texture(rng, h, w, hz)[..., None]
        return img

    def _texture(self, rng: np.random.Generator, h: int, w: int, hz: int) -> np.ndarray:
        """A camera model's extra background texture, (h, w) float32 to add."""
        kind = self.style['texture']
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        if kind == 'stripes':  # vertical stripes (fences, facades) that pans sweep across
            period, amp = rng.uniform(6, 18), rng.uniform(12, 25)
            return (amp * np.sign(np.sin(2 * np.pi * xx / period))).astype(np.float32)
        if kind == 'blotches':  # large shadows and puddles
            coarse = rng.normal(0, 30, (max(1, h // 24), max(1, w // 24))).astype(np.float32)
            return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        period, amp = int(rng.integers(8, 20)), rng.uniform(10, 20)  # 'checker': paving
        board = ((xx // period + yy // period) % 2 * 2 - 1) * amp
        return np.where(yy >= hz, board, 0).astype(np.float32)

    def _view(self, t: int) -> np.ndarray:
        """The background as the camera sees it at frame t: (h, w, 3) float32."""
        if self.camera == 'still':
            return self.background.copy()
        s, pan, pitch = self.camera_at(t)
        my, mx = self.margin
        # canvas (xc, yc) is frame-0 point (xc - mx, yc - my)
        m = np.array([[s, 0, self.w / 2 + pan - s * (self.w / 2 + mx)],
                      [0, s, self.horizon + pitch - s * (self.horizon + my)]], np.float32)
        return cv2.warpAffine(self.background, m, (self.w, self.h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REFLECT)

    def _new_object(self) -> dict:
        rng = self.rng
        names, probs = zip(*CLASS_P)
        cls = str(rng.choice(names, p=probs))
        depth = rng.uniform(0.15, 1.05)  # 1 = bottom of the image
        rel, (ar_lo, ar_hi) = SHAPES[cls]
        return dict(cls=cls, depth=depth, x=rng.uniform(-0.1, 1.1) * self.w,
                    vx=rng.uniform(-6, 6) * (1.5 if cls in ('Car', 'Van') else 0.5),
                    vdepth=rng.uniform(-0.01, 0.01), aspect=rng.uniform(ar_lo, ar_hi), rel=rel,
                    color=rng.uniform(20, 235, 3), color2=rng.uniform(20, 235, 3))

    def world_box(self, o: dict, t: int) -> Tuple[float, float, float, float]:
        """The object's box at frame t in frame-0 coordinates (before the camera moves)."""
        depth = o['depth'] + o['vdepth'] * t
        bottom = self.horizon + depth * (self.h - self.horizon)
        height = max(2.0, depth * o['rel'] * self.h)
        width = height * o['aspect']
        cx = o['x'] + o['vx'] * t
        return cx - width / 2, bottom - height, cx + width / 2, bottom

    def box(self, o: dict, t: int) -> Tuple[float, float, float, float]:
        """The object's box in the image at frame t (unclipped)."""
        x1, y1, x2, y2 = self.world_box(o, t)
        if self.camera == 'still':
            return x1, y1, x2, y2
        (x1, x2), (y1, y2) = self.to_image(np.array([x1, x2]), np.array([y1, y2]), t)
        return float(x1), float(y1), float(x2), float(y2)

    def _poly(self, pts, t: int) -> np.ndarray:
        pts = np.asarray(pts, np.float64)
        if self.camera != 'still':
            pts = np.stack(self.to_image(pts[:, 0], pts[:, 1], t), 1)
        return pts.astype(np.int32)

    def render(self, t: int, noise_rng: np.random.Generator):
        img = self._view(t)
        h, w, hz = self.h, self.w, self.horizon
        for k in range(12):  # lane dashes move towards the camera with the ego speed
            d = ((k / 12) + t * self.ego_speed / 400) % 1.0
            y0, y1 = hz + d ** 2 * (h - hz), hz + min(1, (d + 0.03)) ** 2 * (h - hz)
            half0, half1 = 1 + d * 6, 1 + (d + 0.03) * 6
            pts = self._poly([[w / 2 - half0, y0], [w / 2 + half0, y0], [w / 2 + half1, y1],
                              [w / 2 - half1, y1]], t)
            cv2.fillPoly(img, [pts], (235, 235, 235))
        labels = []
        for cx, s in self.clutter:  # far, tiny, unlabelled traffic -> a DontCare region
            y = hz + 4 * s
            if self.camera == 'still':
                cv2.rectangle(img, (int(cx - 6 * s), int(y - 5 * s)), (int(cx + 6 * s), int(y)),
                              (60, 60, 160), -1)
                labels.append(dict(type='DontCare', truncated=-1.0, occluded=-1,
                                   bbox=[cx - 9 * s, y - 8 * s, cx + 9 * s, y + 2]))
                continue
            (rx1, rx2), (ry1, ry2) = self.to_image(np.array([cx - 6 * s, cx + 6 * s]),
                                                   np.array([y - 5 * s, y]), t)
            cv2.rectangle(img, (int(rx1), int(ry1)), (int(rx2), int(ry2)), (60, 60, 160), -1)
            (bx1, bx2), (by1, by2) = self.to_image(np.array([cx - 9 * s, cx + 9 * s]),
                                                   np.array([y - 8 * s, y + 2]), t)
            labels.append(dict(type='DontCare', truncated=-1.0, occluded=-1,
                               bbox=[float(bx1), float(by1), float(bx2), float(by2)]))
        drawn = []  # (box, mask) of objects already drawn, nearest last
        order = sorted(self.objects, key=lambda o: o['depth'] + o['vdepth'] * t)
        hz_img = hz + self.camera_at(t)[2]  # the horizon moves with the pitch
        for o in order:
            x1, y1, x2, y2 = self.box(o, t)
            if x2 < 0 or x1 >= w or y2 <= hz_img or y1 >= h:
                continue
            self._draw(img, o, (x1, y1, x2, y2))
            mask = np.zeros((h, w), bool)
            mask[max(0, int(y1)):min(h, int(y2)), max(0, int(x1)):min(w, int(x2))] = True
            drawn.append((o, (x1, y1, x2, y2), mask))
        for i, (o, (x1, y1, x2, y2), mask) in enumerate(drawn):
            area_full = max(1.0, (x2 - x1) * (y2 - y1))
            cx1, cy1, cx2, cy2 = max(0, x1), max(0, y1), min(w - 1, x2), min(h - 1, y2)
            if cx2 - cx1 < 2 or cy2 - cy1 < 2:
                continue  # a sliver at the image border: not labelled
            truncated = float(np.clip(1 - (cx2 - cx1) * (cy2 - cy1) / area_full, 0, 1))
            visible = mask.sum()
            hidden = np.zeros_like(mask)
            for _, _, m in drawn[i + 1:]:
                hidden |= m
            frac = (mask & hidden).sum() / max(visible, 1)
            occluded = 0 if frac < 0.1 else (1 if frac < 0.5 else 2)
            if frac > 0.9:
                continue  # invisible behind others: not labelled (as in KITTI)
            labels.append(dict(type=o['cls'], truncated=round(truncated, 2), occluded=occluded,
                               bbox=[round(float(v), 2) for v in (cx1, cy1, cx2, cy2)]))
        warp = self.global_warp(t)
        if warp is not None:
            img = cv2.warpPerspective(img, warp, (w, h), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE)
            labels = warp_labels(labels, warp, w, h)
        img += noise_rng.normal(0, 3, img.shape).astype(np.float32)
        return np.clip(img, 0, 255).astype(np.uint8), labels

    @staticmethod
    def _draw(img, o, box):
        x1, y1, x2, y2 = box
        hgt, wid = y2 - y1, x2 - x1
        p = lambda x, y: (int(round(x)), int(round(y)))  # noqa: E731
        c1, c2 = tuple(float(v) for v in o['color']), tuple(float(v) for v in o['color2'])
        if o['cls'] in ('Car', 'Van'):
            roof = 0.45 if o['cls'] == 'Car' else 0.2
            cv2.rectangle(img, p(x1, y1 + hgt * roof), p(x2, y2 - hgt * 0.12), c1, -1)
            cv2.rectangle(img, p(x1 + wid * 0.15, y1), p(x2 - wid * 0.15, y1 + hgt * roof + 1),
                          c1, -1)
            cv2.rectangle(img, p(x1 + wid * 0.2, y1 + hgt * 0.08),
                          p(x2 - wid * 0.2, y1 + hgt * roof), (40, 50, 60), -1)  # windows
            for wx in (x1 + wid * 0.2, x2 - wid * 0.2):
                cv2.circle(img, p(wx, y2 - hgt * 0.12), max(1, int(hgt * 0.12)), (15, 15, 15), -1)
        else:
            head = max(1, int(hgt * 0.08))
            cx = (x1 + x2) / 2
            cv2.circle(img, p(cx, y1 + head), head, (170, 140, 120), -1)
            body_w = wid * (0.8 if o['cls'] == 'Pedestrian' else 0.35)
            leg = 0.45 if o['cls'] == 'Pedestrian' else 0.35
            cv2.rectangle(img, p(cx - body_w / 2, y1 + 2 * head), p(cx + body_w / 2,
                          y2 - hgt * leg), c1, -1)
            cv2.rectangle(img, p(cx - body_w / 2, y2 - hgt * leg), p(cx + body_w / 2, y2), c2, -1)
            if o['cls'] == 'Cyclist':
                r = max(1, int(hgt * 0.17))
                for wx in (x1 + r, x2 - r):
                    cv2.circle(img, p(wx, y2 - r), r, (20, 20, 20), max(1, r // 4))


def warp_labels(labels: List[dict], warp: np.ndarray, w: int, h: int) -> List[dict]:
    """Labels of a frame warped by the homography ``warp``: each box becomes the box around
    its four warped corners, clipped to the image (truncation grows by what the clip cut);
    boxes left thinner than 2 px are dropped, as at the border of an unwarped frame."""
    out = []
    for lab in labels:
        x1, y1, x2, y2 = lab['bbox']
        pts = cv2.perspectiveTransform(
            np.float32([[[x1, y1], [x2, y1], [x2, y2], [x1, y2]]]), warp)[0]
        (bx1, by1), (bx2, by2) = pts.min(0), pts.max(0)
        cx1, cy1, cx2, cy2 = max(0, bx1), max(0, by1), min(w - 1, bx2), min(h - 1, by2)
        if cx2 - cx1 < 2 or cy2 - cy1 < 2:
            continue
        new = dict(lab, bbox=[round(float(v), 2) for v in (cx1, cy1, cx2, cy2)])
        if lab['type'] != 'DontCare':
            cut = 1 - (cx2 - cx1) * (cy2 - cy1) / max(1.0, float((bx2 - bx1) * (by2 - by1)))
            new['truncated'] = round(float(np.clip(max(lab['truncated'], cut), 0, 1)), 2)
        out.append(new)
    return out


def raw_drive_ids(n: int) -> List[int]:
    """The KITTI drive numbers of a world's ``n`` raw drives: 0005 first (PredNet's validation
    drive), then training drives in order, never one of PredNet's test drives (0070, 0079,
    0104), so that every drive after the first is pretraining video."""
    test = {70, 79, 104}
    return [5] + [i for i in range(1, 10000) if i != 5 and i not in test][:n - 1]


def frames_to_drives(video_frames: int, raw_frames: int = RAW_FRAMES) -> int:
    """The raw drives of ``raw_frames`` frames that hold ``video_frames`` frames of video in
    all (the validation drive included); an amount that is not a whole number of drives, or
    fewer than :data:`BASE_DRIVES` drives, is refused (smaller worlds would draw other object
    images)."""
    drives, rest = divmod(video_frames, raw_frames)
    if rest or drives < BASE_DRIVES:
        raise ValueError(f'video frames must be a multiple of {raw_frames} (the frames of one '
                         f'drive) and at least {BASE_DRIVES * raw_frames}, got {video_frames}')
    return drives


def _write(path: str, img: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, img[:, :, ::-1])


def make_synthetic_kitti(out_dir: str, seed: int = 0, size: Tuple[int, int] = (188, 621),
                         raw_drives: int = 6, raw_frames: int = RAW_FRAMES, det_train: int = 160,
                         det_val: int = 60, progress=None, camera: str = 'still'
                         ) -> Dict[str, str]:
    """Write both layouts under ``out_dir`` (must not exist or be empty); returns their roots.

    ``size`` is (H, W) of the generated frames (default: half of KITTI's 375x1242); ``camera``
    is ``'still'`` or ``'moving'`` (a dashcam: ego-motion and parked objects, see the module
    docstring). ``raw_drives`` drives of ``raw_frames`` frames are the unlabelled video; the
    first :data:`BASE_DRIVES` share the object images' random stream and every further one has
    its own, so a world with more video has the same object images (see
    :func:`frames_to_drives`).
    """
    if camera not in CAMERAS:
        raise ValueError(f'camera must be one of {CAMERAS}, got {camera!r}')
    if osp.isdir(out_dir) and os.listdir(out_dir):
        raise FileExistsError(f'{out_dir} is not empty; refusing to overwrite it')
    if raw_drives < 1 or raw_frames < 1:
        raise ValueError(f'raw_drives and raw_frames must be >= 1, got {raw_drives} and '
                         f'{raw_frames}')
    rng = np.random.default_rng(seed)
    raw_root = osp.join(out_dir, 'raw')
    drive_ids = raw_drive_ids(raw_drives)
    total = raw_drives * raw_frames + (det_train + det_val) * 4
    done = 0
    for k, d in enumerate(drive_ids):
        # the first BASE_DRIVES drives share the object images' stream (as they always did);
        # every further drive has a stream of its own, so more video leaves the labelled and
        # held-out images of the world unchanged
        drive_rng = rng if k < BASE_DRIVES else np.random.default_rng([seed, 1, d])
        scene = Scene(drive_rng, size, n_objects=int(drive_rng.integers(3, 8)), camera=camera)
        noise = np.random.default_rng(seed * 1000 + d)
        folder = osp.join(raw_root, '2011_09_26', f'2011_09_26_drive_{d:04d}_sync', 'image_02',
                          'data')
        for t in range(raw_frames):
            _write(osp.join(folder, f'{t:010d}.png'), scene.render(t, noise)[0])
            done += 1
            if progress:
                progress(done, total)
    obj_root = osp.join(out_dir, 'object')
    ids = {'train': [], 'val': []}
    for k in range(det_train + det_val):
        split = 'train' if k < det_train else 'val'
        img_id = f'{k:06d}'
        ids[split].append(img_id)
        scene = Scene(rng, size, n_objects=int(rng.integers(2, 7)), camera=camera)
        noise = np.random.default_rng(seed * 1000 + 500 + k)
        t0 = int(rng.integers(0, 20))
        frames = [scene.render(t0 + t, noise) for t in range(4)]
        for j, (img, _) in enumerate(frames[:3]):  # _01 oldest .. _03 right before the target
            _write(osp.join(obj_root, 'training', 'prev_2', f'{img_id}_{j + 1:02d}.png'), img)
        img, labels = frames[3]
        _write(osp.join(obj_root, 'training', 'image_2', f'{img_id}.png'), img)
        os.makedirs(osp.join(obj_root, 'training', 'label_2'), exist_ok=True)
        with open(osp.join(obj_root, 'training', 'label_2', f'{img_id}.txt'), 'w') as f:
            f.writelines(format_kitti_label_line(o) + '\n' for o in labels)
        done += 4
        if progress:
            progress(done, total)
    os.makedirs(osp.join(obj_root, 'ImageSets'), exist_ok=True)
    for split, lst in ids.items():
        with open(osp.join(obj_root, 'ImageSets', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lst) + '\n')
    return dict(raw=raw_root, object=obj_root)


def synthetic_labelled_videos(n_videos: int, n_frames: int, seed: int = 1,
                              size: Tuple[int, int] = (188, 621), camera: str = 'still'
                              ) -> List[Tuple[List[np.ndarray], List[List[dict]]]]:
    """``n_videos`` drives of the same world with a KITTI label for *every* frame (the object
    layout labels only a target frame), to measure detection on long streams. Returns per video
    ``(frames, labels)``: ``n_frames`` BGR uint8 ``(H, W, 3)`` frames (as ``cv2`` reads them) and
    per frame the label dicts (``type``, ``truncated``, ``occluded``, ``bbox``). Use another
    ``seed`` than the training data's (0)."""
    rng = np.random.default_rng(seed)
    videos = []
    for v in range(n_videos):
        scene = Scene(rng, size, n_objects=int(rng.integers(2, 7)), camera=camera)
        noise = np.random.default_rng(seed * 1000 + 900 + v)
        frames, labels = [], []
        for t in range(n_frames):
            img, lab = scene.render(t, noise)
            frames.append(np.ascontiguousarray(img[:, :, ::-1]))
            labels.append(lab)
        videos.append((frames, labels))
    return videos
