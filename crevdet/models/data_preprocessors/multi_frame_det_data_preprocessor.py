"""mmdet's ``DetDataPreprocessor`` for samples whose frames are stacked on channels.

A detection sample is ``(3*T, H, W)``: T frames, oldest first, target last. mmengine only accepts
1- or 3-value mean/std, so this class takes the usual per-frame 3 values and repeats them for each
frame, and swaps BGR<->RGB *within* each frame (never across frames). Padding, batch augments and
box handling are mmdet's, unchanged.
"""
from typing import Optional, Sequence

import torch
from mmdet.models.data_preprocessors import DetDataPreprocessor

from crevdet.registry import MODELS


@MODELS.register_module()
class MultiFrameDetDataPreprocessor(DetDataPreprocessor):
    """Args:
        num_frames: T, frames per sample.
        mean / std: per-frame values (3 for RGB), repeated T times; e.g. ``mean=[0, 0, 0],
            std=[255, 255, 255]`` gives frames in [0, 1] as CrevNet expects.
        bgr_to_rgb / rgb_to_bgr: swap channel order inside every frame.
        **kwargs: the rest of ``DetDataPreprocessor``'s arguments.
    """

    def __init__(self, num_frames: int = 4, mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None, bgr_to_rgb: bool = False,
                 rgb_to_bgr: bool = False, **kwargs) -> None:
        super().__init__(mean=mean, std=std, bgr_to_rgb=False, rgb_to_bgr=False, **kwargs)
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        self.num_frames = num_frames
        self.swap_channels = bgr_to_rgb or rgb_to_bgr
        if mean is not None:
            self.register_buffer('mean', self.mean.repeat(num_frames, 1, 1), False)
            self.register_buffer('std', self.std.repeat(num_frames, 1, 1), False)

    def _swap(self, img: torch.Tensor) -> torch.Tensor:
        c = img.shape[0] // self.num_frames
        if img.shape[0] != c * self.num_frames or c != 3:
            raise ValueError(f'MultiFrameDetDataPreprocessor: expected {self.num_frames} stacked '
                             f'3-channel frames, got an image of {img.shape[0]} channels')
        return img.view(self.num_frames, 3, *img.shape[1:]).flip(1).reshape(img.shape)

    def forward(self, data: dict, training: bool = False) -> dict:
        if self.swap_channels:
            inputs = data['inputs']
            if isinstance(inputs, torch.Tensor):
                inputs = [inputs[i] for i in range(inputs.shape[0])]
            data = dict(data, inputs=[self._swap(x) for x in inputs])
        return super().forward(data, training)
