"""Which ``type`` names a model config read from a checkpoint may build.

A checkpoint's config (mmengine's ``meta['cfg']``) is data from whoever wrote the file, and
mmengine's ``Registry.get`` falls back to importing any dotted name it does not know
(``get_object_from_string``): ``dict(type='os.system', command='...')`` would call
``os.system``. Before crevdet builds anything from such a config, :func:`check_registered_types`
requires every ``type`` (and ``_scope_``) in it to be a name registered with crevdet, mmdet or
mmengine (mmcv registers into mmengine's registries), so the import fallback is never reached.
"""
from typing import Dict, Set

import crevdet.registry  # noqa: F401  crevdet's registries exist, as children of mmdet's

# the scopes whose registered names a checkpoint's config may use
ALLOWED_SCOPES = ('crevdet', 'mmdet', 'mmengine')
# names that are not registry entries but that code resolves by itself from a fixed set:
# mmcv's ``batched_nms`` picks its op from ``nms_cfg['type']``, and
# ``UNetVideoPredictor`` maps the former predictor names (crevdet.checkpoint.stored_config)
OTHER_TYPE_NAMES = frozenset({'nms', 'soft_nms', 'rpm', 'stacked'})


class UnregisteredTypeError(ValueError):
    """A config read from a checkpoint names a type that is not registered."""


def registered_names() -> Dict[str, Set[str]]:
    """``{scope: names registered in that scope's registries}`` for :data:`ALLOWED_SCOPES`,
    after each registry imported its declared locations (as ``Registry.get`` would: crevdet's
    registries name theirs in :mod:`crevdet.registry`, so nothing here imports upwards)."""
    import mmengine.registry as root_module
    from mmengine.registry import Registry
    names: Dict[str, Set[str]] = {s: set() for s in ALLOWED_SCOPES}
    todo = [r for r in vars(root_module).values() if isinstance(r, Registry)]
    seen = set()
    while todo:
        reg = todo.pop()
        if id(reg) in seen:
            continue
        seen.add(id(reg))
        todo.extend(reg.children.values())
        if reg.scope in names:
            reg.import_from_location()
            names[reg.scope].update(reg.module_dict)
    return names


def _allowed(name: str, names: Dict[str, Set[str]]) -> bool:
    if name in OTHER_TYPE_NAMES:
        return True
    scope, dot, real = name.partition('.')
    if not dot:
        return any(name in found for found in names.values())
    # 'mmdet.SSDHead': resolved in that scope, then its parents (mmdet -> mmengine)
    chain = ALLOWED_SCOPES[ALLOWED_SCOPES.index(scope):] if scope in ALLOWED_SCOPES else ()
    return '.' not in real and any(real in names[s] for s in chain)


def check_registered_types(cfg, source: str, path: str = 'model') -> None:
    """Raise :class:`UnregisteredTypeError` naming ``source`` and the key unless every ``type``
    in the nested dicts/lists of ``cfg`` is a registered name (see module docstring) and every
    ``_scope_`` one of :data:`ALLOWED_SCOPES`."""
    names = registered_names()

    def walk(node, where):
        if isinstance(node, dict):
            if 'type' in node:
                t = node['type']
                if not isinstance(t, str) or not _allowed(t, names):
                    raise UnregisteredTypeError(
                        f'{source}: {where}.type={t!r} is not a type registered with crevdet, '
                        'mmdet or mmengine. A model config read from a checkpoint may only '
                        'build registered types (never an importable name such as '
                        "'os.system'); pass the model's config yourself (--config / model=) if "
                        'this checkpoint is from a source you trust')
            if '_scope_' in node and node['_scope_'] not in ALLOWED_SCOPES:
                raise UnregisteredTypeError(
                    f'{source}: {where}._scope_={node["_scope_"]!r} is not one of '
                    f'{", ".join(ALLOWED_SCOPES)}')
            for k, v in node.items():
                walk(v, f'{where}.{k}')
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                walk(v, f'{where}[{i}]')
    walk(cfg, path)
