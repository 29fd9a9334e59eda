"""crevdet's registries: children of mmdet's (hence grandchildren of mmengine's).

A config with ``default_scope='crevdet'`` can mix crevdet types (``type='CrevNetBackbone'``) with
mmdet/mmengine ones (``type='SSDHead'``): lookups fall back to the parents. From a plain mmdet
config, add ``custom_imports=dict(imports=['crevdet'])`` and name crevdet types with their scope,
``type='crevdet.CrevNetBackbone'`` (the OpenMMLab cross-repo convention).
"""
from mmdet import registry as mmdet_registry
from mmengine.registry import Registry


def _child(name: str, attr: str, locations=None) -> Registry:
    return Registry(name, parent=getattr(mmdet_registry, attr), scope='crevdet',
                    locations=locations or [])


# the ones crevdet registers into
MODELS = _child('model', 'MODELS', ['crevdet.models'])
DATASETS = _child('dataset', 'DATASETS', ['crevdet.datasets'])
TRANSFORMS = _child('transform', 'TRANSFORMS', ['crevdet.datasets.transforms'])
METRICS = _child('metric', 'METRICS', ['crevdet.evaluation'])
HOOKS = _child('hook', 'HOOKS', ['crevdet.engine'])
VISUALIZERS = _child('visualizer', 'VISUALIZERS', ['crevdet.visualization'])
# the rest mirror mmdet so that every build under the 'crevdet' scope resolves
RUNNERS = _child('runner', 'RUNNERS', ['crevdet.engine'])
RUNNER_CONSTRUCTORS = _child('runner constructor', 'RUNNER_CONSTRUCTORS')
LOOPS = _child('loop', 'LOOPS')
DATA_SAMPLERS = _child('data sampler', 'DATA_SAMPLERS')
MODEL_WRAPPERS = _child('model_wrapper', 'MODEL_WRAPPERS')
WEIGHT_INITIALIZERS = _child('weight initializer', 'WEIGHT_INITIALIZERS')
OPTIMIZERS = _child('optimizer', 'OPTIMIZERS')
OPTIM_WRAPPERS = _child('optim_wrapper', 'OPTIM_WRAPPERS')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor', 'OPTIM_WRAPPER_CONSTRUCTORS')
PARAM_SCHEDULERS = _child('parameter scheduler', 'PARAM_SCHEDULERS')
EVALUATOR = _child('evaluator', 'EVALUATOR')
TASK_UTILS = _child('task util', 'TASK_UTILS')
VISBACKENDS = _child('vis_backend', 'VISBACKENDS')
LOG_PROCESSORS = _child('log_processor', 'LOG_PROCESSORS')


def build_crevdet(registry: Registry, cfg: dict, **kwargs):
    """Build ``cfg`` from ``registry`` resolving unprefixed types in crevdet's scope (falling back
    to mmdet/mmengine), whatever the current default scope is — e.g. crevdet code building its own
    parts inside a plain mmdet config whose default scope is 'mmdet'."""
    cfg = dict(cfg)
    cfg.setdefault('_scope_', 'crevdet')
    return registry.build(cfg, **kwargs)
