"""Photometric distortion of a multi-frame sample (frames stacked on channels, see
``load_multi_frame_images.py``): the same colour jitter for every frame."""
import numpy as np
from mmdet.datasets.transforms import PhotoMetricDistortion

from crevdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class MultiFramePhotoMetricDistortion(PhotoMetricDistortion):
    """mmdet's ``PhotoMetricDistortion`` with one draw of random parameters applied identically to
    every 3-channel frame of a stacked ``(H, W, 3*T)`` image."""

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.shape[2] % 3:
            raise ValueError(f'expected stacked 3-channel frames, got {img.shape[2]} channels')
        flags = self._random_flags()
        draw = self._random_flags
        self._random_flags = lambda: flags  # same parameters for every frame
        try:
            out = [super(MultiFramePhotoMetricDistortion, self).transform(
                dict(img=img[..., i:i + 3]))['img'] for i in range(0, img.shape[2], 3)]
        finally:
            self._random_flags = draw
        results['img'] = np.concatenate(out, axis=2)
        return results
