"""The base of predictors that *sample* futures (SRVP, the VQ-VAE): a model implements
:meth:`StochasticVideoPredictor.sample`; the deterministic rollout and the S-sample ``predict``
(what the best / mean / worst-of-S metric reads) are shared."""
from typing import List, Optional, Tuple

import torch
from mmengine.structures import BaseDataElement

from .base_predictor import BaseVideoPredictor


class StochasticVideoPredictor(BaseVideoPredictor):
    """Args (besides :class:`BaseVideoPredictor`'s):
        num_samples: S, samples per input drawn by :meth:`predict`.
        deterministic: :meth:`predict` draws the single most likely future instead (means or
            argmax codes, S = 1).
    """

    TRAINING_ONLY_KEYS = BaseVideoPredictor.TRAINING_ONLY_KEYS + ('num_samples',)

    def __init__(self, *args, num_samples: int = 1, deterministic: bool = False,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.num_samples, self.deterministic = num_samples, deterministic

    def sample(self, frames: torch.Tensor, n_past: int, n_future: int, num_samples: int = 1,
               deterministic: bool = False, generator: Optional[torch.Generator] = None
               ) -> torch.Tensor:
        """Observe ``n_past`` frames of ``(B, T, C, H, W)`` and generate ``n_future``:
        ``(B, S, n_future, C, H, W)`` (S = 1 when ``deterministic``)."""
        raise NotImplementedError(f'{type(self).__name__} must implement sample()')

    def rollout(self, frames: torch.Tensor, n_past: int, n_future: int,
                teacher_forcing: bool = False, decode_from: Optional[int] = None
                ) -> Tuple[torch.Tensor, list]:
        """The deterministic prediction of the ``n_future`` frames (``mode='tensor'``, the
        benchmark hook, ``tools/predict.py``); ``decode_from`` must be ``n_past - 1``."""
        if decode_from not in (None, n_past - 1):
            raise ValueError(f'{type(self).__name__}.rollout predicts the future frames only '
                             f'(decode_from={decode_from} given, n_past={n_past})')
        pred = self.sample(frames, n_past, n_future, deterministic=True)[:, 0]
        return pred, [[] for _ in range(n_past + n_future - 1)]

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[list] = None
                ) -> List[BaseDataElement]:
        """Like :meth:`BaseVideoPredictor.predict`; ``pred_frames`` is the first sample and
        ``pred_samples`` ``(S, n_future, C, H, W)`` holds all ``num_samples``, in [0, 1]."""
        samples = self.sample(inputs, self.n_past, self.n_future, self.num_samples,
                              self.deterministic).clamp(0, 1)
        return self.pack_predictions(inputs, samples, data_samples)
