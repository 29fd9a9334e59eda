"""Batches video clips for the video predictors."""
from typing import Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from crevdet.registry import MODELS


@MODELS.register_module()
class VideoDataPreprocessor(BaseDataPreprocessor):
    """``inputs``: a list of ``(T, C, H, W)`` uint8 clips (or a stacked ``(B, T, C, H, W)``
    tensor) -> float ``(B, T, C, H, W)`` in ``[0, 1]`` on the model's device.

    Clips of ``MovingMNISTDataset(render_on_device=True)`` arrive as digits ``(K, 28, 28)`` with
    their motion in the metainfo ``moving_mnist``; they are drawn here, the whole batch at once on
    the model's device (:func:`~crevdet.datasets.moving_mnist_batch.render_moving_mnist`).

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
        data_samples: Optional[list] = data.get('data_samples')
        if data_samples and any('moving_mnist' in s.metainfo for s in data_samples):
            inputs = self.render(inputs, data_samples)
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
        return dict(inputs=inputs, data_samples=data_samples)

    @staticmethod
    def render(digits: Sequence[torch.Tensor], data_samples: list) -> torch.Tensor:
        """Digits ``(K, d, d)`` per clip + their metainfo motion -> uint8 ``(B, T, 1, S, S)``."""
        from crevdet.datasets.moving_mnist_batch import render_moving_mnist
        motions = [s.metainfo.get('moving_mnist') for s in data_samples]
        if any(m is None for m in motions):
            raise ValueError('a batch mixes Moving MNIST clips to draw on the device with other '
                             'clips; every clip must come from MovingMNISTDataset('
                             'render_on_device=True)')
        keys = {(m['seq_len'], m['image_size'], 'bounce_vel' in m) for m in motions}
        if len(keys) != 1:
            raise ValueError(f'the Moving MNIST clips of a batch differ in (seq_len, image_size, '
                             f'stochastic): {sorted(keys)}')
        (seq_len, image_size, stochastic), = keys
        bounce = torch.stack([m['bounce_vel'] for m in motions]) if stochastic else None
        return render_moving_mnist(torch.stack(list(digits)),
                                   torch.stack([m['pos'] for m in motions]),
                                   torch.stack([m['vel'] for m in motions]), seq_len, image_size,
                                   bounce_vel=bounce)
