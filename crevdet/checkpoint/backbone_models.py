"""The model dicts a detector's backbones build, written into the config when it is loaded.

A detection backbone names the pretraining config whose ``model`` it builds
(``backbone=dict(type='CrevNetBackbone', model='configs/crevnet/<config>.py')``), or only the
pretraining checkpoint (``pretrained='<run>/iter_N.pth'``), whose stored config holds that model.
Models read no files: the tools, ``CrevdetRunner.from_cfg`` and ``VideoDetector`` call
:func:`expand_pretrain_configs` right after loading a config, which puts the model dict itself in
the backbone's place. The config a run dumps (``work_dirs/<run>/<config>.py``) therefore holds
the whole architecture and builds with no ``configs/`` folder present.
"""
from typing import Union

from mmengine.config import Config, ConfigDict

from crevdet.pretrain_configs import model_from_pretrain_config
from .stored_config import model_from_checkpoint


def _is_backbone(node: dict) -> bool:
    return str(node.get('type', '')).endswith('Backbone')


def _expand(node, where: str):
    """``node`` with every backbone's ``model='<config>.py'`` replaced by that config's model
    dict, and a backbone's missing ``model`` taken from its ``pretrained`` checkpoint."""
    if isinstance(node, (list, tuple)):
        return type(node)(_expand(v, f'{where}[{i}]') for i, v in enumerate(node))
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        at = f'{where}.{key}'
        if key == 'model' and isinstance(value, str):
            try:
                value = model_from_pretrain_config(value)
            except (FileNotFoundError, ValueError) as e:
                raise type(e)(f'{at}: {e}') from e
        out[key] = _expand(value, at)
    if _is_backbone(out) and out.get('model') is None and isinstance(out.get('pretrained'), str):
        out['model'] = model_from_checkpoint(out['pretrained'])
    return out


def expand_pretrain_configs(cfg: Union[Config, dict]) -> Union[Config, dict]:
    """Expand, in place, the pretraining-config paths of ``cfg.model`` (and the ``pretrained``
    checkpoint of a backbone without ``model``) into model dicts; returns ``cfg``. Idempotent:
    an expanded config comes back unchanged."""
    model = cfg.get('model') if hasattr(cfg, 'get') else None
    if not isinstance(model, dict):
        return cfg
    plain = model.to_dict() if isinstance(model, ConfigDict) else dict(model)
    expanded = _expand(plain, 'model')
    if expanded != plain:
        cfg['model'] = ConfigDict(expanded) if isinstance(cfg, Config) else expanded
    return cfg
