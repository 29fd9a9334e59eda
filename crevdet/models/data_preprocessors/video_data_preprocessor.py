"""Batches video clips for the video predictors."""
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from crevdet.registry import MODELS


@MODELS.register_module()
class VideoDataPreprocessor(BaseDataPreprocessor):
    """``inputs``: a list of ``(T, C, H, W)`` uint8 clips (or a stacked ``(B, T, C, H, W)``
    tensor) -> float ``(B, T, C, H, W)`` in ``[0, 1]`` on the model's device.

    Args:
        scale: divisor applied to integer inputs (255 for uint8 frames). Float inputs are assumed
            to be in [0, 1] already and left as they are.
    """

    def __init__(self, scale: float = 255.0, non_blocking: bool = False) -> None:
        super().__init__(non_blocking)
        self.scale = scale

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs: Union[torch.Tensor, Sequence[torch.Tensor]] = data['inputs']
        if isinstance(inputs, (list, tuple)):
            shapes = {tuple(x.shape) for x in inputs}
            if len(shapes) != 1:
                raise ValueError(f'all clips of a batch must have the same (T, C, H, W) shape, '
                                 f'got {sorted(shapes)}')
            inputs = torch.stack(list(inputs))
        if inputs.dim() != 5:
            raise ValueError(f'VideoDataPreprocessor expects clips (B, T, C, H, W), got shape '
                             f'{tuple(inputs.shape)}')
        if not inputs.is_floating_point():
            inputs = inputs.float() / self.scale
        data_samples: Optional[list] = data.get('data_samples')
        return dict(inputs=inputs, data_samples=data_samples)
