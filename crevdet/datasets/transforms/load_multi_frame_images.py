"""Loading/augmenting a target frame with its previous frames for detection.

The frames are stacked on the channel axis — ``img`` is ``(H, W, 3*T)``, oldest first, target
last — so mmdet's own geometric transforms (``Resize``, ``RandomFlip``, ``RandomCrop``...) apply the
*same* geometry to every frame and move the boxes once, and ``PackDetInputs`` packs
``(3*T, H, W)`` unchanged.
"""
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from crevdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadMultiFrameImages(BaseTransform):
    """Read ``results['frame_paths']`` (BGR, as mmdet's ``LoadImageFromFile``) into one stacked
    ``img``; errors name the file. Adds ``num_frames``, ``img_shape``, ``ori_shape``."""

    def __init__(self, to_float32: bool = False) -> None:
        self.to_float32 = to_float32

    def transform(self, results: dict) -> dict:
        paths = results.get('frame_paths') or [results['img_path']]
        frames = []
        for p in paths:
            try:
                img = mmcv.imread(p, flag='color')
            except Exception as e:  # cv2 decoding errors carry no file name
                raise OSError(f'cannot read frame {p}: {e}') from e
            if img is None:
                raise OSError(f'cannot read frame {p}: missing, unreadable or corrupt image')
            if frames and img.shape != frames[0].shape:
                raise ValueError(f'frame {p} is {img.shape[1]}x{img.shape[0]} but {paths[0]} is '
                                 f'{frames[0].shape[1]}x{frames[0].shape[0]}; all frames of a '
                                 'sample must have the same size')
            frames.append(img)
        img = np.concatenate(frames, axis=2)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['num_frames'] = len(frames)
        return results
