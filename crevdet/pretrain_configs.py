"""Reading a pretraining config's ``model``: the architecture a detection backbone builds is
written once, where it is pretrained, and named by the config's path
(``backbone=dict(type='CrevNetBackbone', model='configs/crevnet/<config>.py')``). Models never
call this: :func:`crevdet.checkpoint.expand_pretrain_configs` does, when a config is loaded.

Layer: imports :mod:`crevdet.paths` and mmengine only.
"""
import os.path as osp
from typing import Any, Dict, Union

from mmengine.config import Config

from crevdet.paths import REPO_ROOT, is_scoped, resolve_config


def resolve_config_path(path: str) -> str:
    """``path`` as given (relative to the working directory) or, failing that, relative to the
    crevdet repository (``configs/...``); a ``crevdet::`` name is the shipped config."""
    if is_scoped(path):
        return resolve_config(path)
    for candidate in (path, osp.join(REPO_ROOT, path)):
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'pretraining config {path!r} not found (looked in the working directory and in '
        f'{REPO_ROOT}); give the backbone the path of the config its checkpoint was trained '
        'with, or the model dict itself')


def model_from_pretrain_config(model: Union[dict, str]) -> Dict[str, Any]:
    """The predictor config a backbone builds: ``model`` itself, or the ``model`` of the
    pretraining config at path ``model``; the data preprocessor (not part of a backbone) dropped."""
    if isinstance(model, str):
        cfg = Config.fromfile(resolve_config_path(model))
        if not isinstance(cfg.get('model'), dict):
            raise ValueError(f'pretraining config {model} has no `model` dict')
        model = cfg.model.to_dict()
    elif not isinstance(model, dict):
        raise TypeError(f'backbone model must be a dict or a pretraining config path, got '
                        f'{type(model).__name__}')
    return {k: v for k, v in dict(model).items() if k != 'data_preprocessor'}


def set_protocol(model_cfg, in_channels: int, n_past: int, n_future: int, frame_size) -> None:
    """Point a predictor's ``model`` config at another data protocol (in place): channels,
    observed / predicted frames and, for models with size-dependent layers (SRVP), the frame
    size. Shared by the benchmark, ablation and learning-curve tools."""
    model_cfg.update(in_channels=in_channels, n_past=n_past, n_future=n_future)
    if 'frame_size' in model_cfg:
        model_cfg['frame_size'] = tuple(frame_size)
