"""crevdet's registries: children of mmdet's (hence grandchildren of mmengine's).

A config with ``default_scope='crevdet'`` can mix crevdet types (``type='CrevNetBackbone'``) with
mmdet/mmengine ones (``type='SSDHead'``): lookups fall back to the parents. From a plain mmdet config,
add ``custom_imports=dict(imports=['crevdet'])`` and name crevdet types with their scope,
``type='crevdet.CrevNetBackbone'`` (the OpenMMLab cross-repo convention).
"""
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMDET_MODELS, scope='crevdet', locations=['crevdet.models'])
DATASETS = Registry('dataset', parent=MMDET_DATASETS, scope='crevdet',
                    locations=['crevdet.datasets'])
TRANSFORMS = Registry('transform', parent=MMDET_TRANSFORMS, scope='crevdet',
                      locations=['crevdet.datasets.transforms'])
METRICS = Registry('metric', parent=MMDET_METRICS, scope='crevdet',
                   locations=['crevdet.evaluation'])
HOOKS = Registry('hook', parent=MMDET_HOOKS, scope='crevdet', locations=['crevdet.engine'])
VISUALIZERS = Registry('visualizer', parent=MMDET_VISUALIZERS, scope='crevdet',
                       locations=['crevdet.visualization'])


def build_crevdet(registry: Registry, cfg: dict, **kwargs):
    """Build ``cfg`` from ``registry`` resolving unprefixed types in crevdet's scope (falling back
    to mmdet/mmengine), whatever the current default scope is — e.g. crevdet code building its own
    parts inside a plain mmdet config whose default scope is 'mmdet'."""
    cfg = dict(cfg)
    cfg.setdefault('_scope_', 'crevdet')
    return registry.build(cfg, **kwargs)
