"""A trained crevdet detector run over the consecutive frames of a video (mmdet's ``apis`` style).

Each frame is detected with the ``num_frames - 1`` frames before it as its window, through the
config's own test pipeline (minus file loading and annotations), so a video is prepared exactly
like KITTI's ``prev_2`` samples. With ``streaming=True`` the backbone reuses the encodings of the
frames earlier windows already encoded (see ``models/layers/encoding_cache.py``).
"""
import time
from collections import deque
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

_LOADERS = ('LoadMultiFrameImages', 'LoadImageFromFile', 'LoadAnnotations')
_META = ('img_id', 'ori_shape', 'img_shape', 'scale_factor', 'flip', 'flip_direction',
         'num_frames')


class VideoDetector:
    """Args:
        config: a detection config (path or ``Config``) whose backbone takes stacked frames.
        checkpoint: detector weights (``tools/train.py``'s ``epoch_N.pth``); loaded strictly.
        device: ``'cpu'``, ``'cuda'`` ...
        streaming: reuse earlier windows' encodings (same outputs, less compute);
            ``'stateful'`` also carries the recurrent state (see ``VideoPredictorBackbone``).
        cfg_options: ``--cfg-options`` style overrides.
    """

    def __init__(self, config, checkpoint: Optional[str] = None, device: str = 'cpu',
                 streaming: Union[bool, str] = True, cfg_options: Optional[dict] = None) -> None:
        from mmengine.config import Config
        from mmengine.dataset import Compose
        from mmengine.registry import DefaultScope
        from mmengine.runner.checkpoint import _load_checkpoint

        from crevdet.checkpoint import expand_pretrain_configs, install_checkpoint_loader
        from crevdet.checkpoint.weights import check_weights_fit, upgrade_legacy_keys
        from crevdet.datasets.kitti_det import KittiDetDataset
        from crevdet.registry import MODELS, TRANSFORMS
        install_checkpoint_loader()
        cfg = Config.fromfile(config) if isinstance(config, str) else config
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        expand_pretrain_configs(cfg)  # the backbone's model dict (models read no files)
        backbone = cfg.model.get('backbone', {})
        if 'num_frames' not in backbone and 'model' not in backbone:
            raise ValueError('VideoDetector needs a detector whose backbone takes stacked frames '
                             '(CrevNetBackbone / VideoPredictorBackbone)')
        backbone.init_cfg = None  # the detector checkpoint holds the backbone too
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'crevdet')):
            self.model = MODELS.build(cfg.model)
            pipeline = [dict(t) for t in cfg.test_dataloader.dataset.pipeline
                        if t['type'] not in _LOADERS]
            for t in pipeline:
                if t['type'] == 'PackDetInputs':
                    t['meta_keys'] = _META
            self.pipeline = Compose([TRANSFORMS.build(t) for t in pipeline])
        meta = {}
        if checkpoint:
            ckpt = _load_checkpoint(checkpoint, map_location='cpu')
            state, meta = ckpt.get('state_dict', ckpt), ckpt.get('meta', {})
            state = upgrade_legacy_keys(self.model, state)  # e.g. crevdet 0.1's backbone keys
            check_weights_fit(self.model.state_dict(), state, checkpoint,
                              f'the detector of {cfg.filename}', strict=True,
                              opt_out='nothing: give the checkpoint of this config')
            self.model.load_state_dict(state)
        # class names as the detector was trained (mmengine stores the dataset's metainfo)
        self.classes = tuple((meta.get('dataset_meta') or {}).get('classes')
                             or KittiDetDataset.METAINFO['classes'])
        self.model.to(device).eval()
        self.device = device
        self.num_frames = self.model.backbone.num_frames
        self.model.backbone.set_streaming(streaming)
        self.model_seconds = 0.0

    def detect(self, window: Sequence[np.ndarray], frame_id: int = 0):
        """``window``: ``num_frames`` BGR uint8 frames ``(H, W, 3)``, oldest first, target last.
        Returns the target's ``pred_instances`` (boxes in the frame's pixels)."""
        return self.detect_batch([window], [frame_id])[0]

    def detect_batch(self, windows: Sequence[Sequence[np.ndarray]],
                     frame_ids: Optional[Sequence[int]] = None) -> list:
        """Several windows (e.g. one per camera / stream) in one batch; returns one
        ``pred_instances`` per window, as :meth:`detect` would."""
        frame_ids = list(range(len(windows))) if frame_ids is None else list(frame_ids)
        inputs, samples = [], []
        for window, frame_id in zip(windows, frame_ids):
            if len(window) != self.num_frames:
                raise ValueError(f'the detector takes {self.num_frames} frames, got '
                                 f'{len(window)}')
            img = np.concatenate(list(window), axis=2)
            data = self.pipeline(dict(img=img, img_shape=img.shape[:2],
                                      ori_shape=img.shape[:2], img_id=str(frame_id),
                                      num_frames=len(window)))
            inputs.append(data['inputs'])
            samples.append(data['data_samples'])
        batch = dict(inputs=inputs, data_samples=samples)
        if self.device.startswith('cuda'):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.no_grad():
            outs = self.model.test_step(batch)
        if self.device.startswith('cuda'):
            torch.cuda.synchronize()
        self.model_seconds += time.perf_counter() - t0
        return [o.pred_instances.cpu() for o in outs]

    def windows(self, frames: Iterable[np.ndarray]) -> Iterator[Tuple[int, List[np.ndarray]]]:
        """``(index, window)`` for every frame with ``num_frames - 1`` frames before it (the
        first ones have no full window). ``frames`` may be any iterable, e.g. a
        ``FrameReader`` that reads a video one frame at a time: only the current window is
        held."""
        window = deque(maxlen=self.num_frames)
        for i, frame in enumerate(frames):
            window.append(frame)
            if len(window) == self.num_frames:
                yield i, list(window)
