"""The config a checkpoint stores, and the check that a pretraining checkpoint was written by
the model a detector's backbone builds.

mmengine stores the full config text of a run in every checkpoint (``meta['cfg']``), so a
checkpoint carries the model it was trained with; :func:`architecture_differences` compares it
with the model the detector builds.

That text is data from whoever wrote the file, read under three rules: it is parsed, never
executed (:func:`checkpoint_config`); a file it names is never opened (only a config shipped in
crevdet's own ``configs/`` folder is read, see :func:`_strip_file_references`); and a model built
from it may only use registered types (:func:`model_from_checkpoint`,
:func:`~crevdet.checkpoint.registered_types.check_registered_types`).
"""
import ast
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Union

from mmengine.logging import print_log

from crevdet.paths import REPO_ROOT
from crevdet.pretrain_configs import model_from_pretrain_config
from crevdet.registry import MODELS
from .files import load_local_checkpoint
from .registered_types import check_registered_types
from .weights import WeightMismatchError


def _literal(node: ast.AST):
    """A config value written as literals and ``dict(...)`` calls (what ``Config.pretty_text``
    writes), evaluated without executing anything; ValueError for anything else."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == 'dict' and not node.args:
        return {kw.arg: _literal(kw.value) for kw in node.keywords if kw.arg is not None}
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(x) for x in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    return ast.literal_eval(node)


def _shipped_config(path: str) -> Optional[str]:
    """``path`` resolved inside crevdet's own ``configs/`` folder (a file installed with crevdet,
    not one a checkpoint brought), or None when it points anywhere else."""
    configs = osp.realpath(osp.join(REPO_ROOT, 'configs'))
    found = osp.realpath(path if osp.isabs(path) else osp.join(REPO_ROOT, path))
    return found if found.startswith(configs + os.sep) and osp.isfile(found) else None


def _strip_file_references(node, source: str, where: str = 'model'):
    """A copy of a model config read from a checkpoint in which no file is left for crevdet to
    open: a nested ``model='<config>.py'`` (a detector's backbone) becomes that config's model
    when it is one of crevdet's shipped configs, otherwise None; ``pretrained`` paths and
    ``init_cfg`` checkpoints are dropped (the weights come from the checkpoint itself). Each
    dropped reference is reported."""
    if isinstance(node, (list, tuple)):
        return type(node)(_strip_file_references(v, source, f'{where}[{i}]')
                          for i, v in enumerate(node))
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        at = f'{where}.{key}'
        if key == 'model' and isinstance(value, str):
            shipped = _shipped_config(value)
            if shipped is None:
                print_log(f'{source}: {at}={value!r} names a config file outside crevdet\'s '
                          'configs/; a checkpoint never makes crevdet open a file, so that part '
                          'of its model config is not read', logger='current', level=30)
                value = None
            else:
                value = model_from_pretrain_config(shipped)
        elif (key == 'pretrained' and isinstance(value, str)) or (
                key == 'init_cfg' and isinstance(value, dict) and 'checkpoint' in value):
            print_log(f'{source}: {at} names the file {value!r}, which is not followed (a '
                      'checkpoint never makes crevdet open a file)', logger='current', level=30)
            continue
        out[key] = _strip_file_references(value, source, at)
    return out


def checkpoint_config(checkpoint: dict, source: str = 'checkpoint') -> Union[Dict[str, Any], None]:
    """The config of the run that wrote ``checkpoint`` (mmengine's ``meta['cfg']``) as a dict of
    its top-level assignments, or None when the checkpoint carries no readable config (e.g. one
    saved by plain ``torch.save``). The text is parsed, never executed: a checkpoint is loaded
    weights-only, and its config must not be a way around that. Assignments that are not plain
    literals / ``dict(...)`` (what ``Config.pretty_text`` writes) are left out, and the
    ``model`` names no file (:func:`_strip_file_references`; ``source``: the checkpoint's name,
    for those reports)."""
    text = (checkpoint.get('meta') or {}).get('cfg') if isinstance(checkpoint, dict) else None
    if not isinstance(text, str):
        return None
    try:
        body = ast.parse(text).body
    except SyntaxError:  # not a plain dump: nothing to read
        return None
    cfg = {}
    for node in body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            try:
                cfg[node.targets[0].id] = _literal(node.value)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                continue
    if isinstance(cfg.get('model'), dict):
        cfg['model'] = _strip_file_references(cfg['model'], source)
    return cfg


def checkpoint_model(checkpoint: dict, source: str = 'checkpoint') -> Union[Dict[str, Any], None]:
    """The ``model`` of :func:`checkpoint_config`, or None. For comparing; anything built from
    it goes through :func:`model_from_checkpoint` (registered types only)."""
    model = (checkpoint_config(checkpoint, source) or {}).get('model')
    return model if isinstance(model, dict) else None


def model_from_checkpoint(path: str, checkpoint: Optional[dict] = None) -> Dict[str, Any]:
    """The predictor config of the run that wrote the checkpoint at ``path`` (its
    :func:`checkpoint_model`), the data preprocessor dropped; a clear error when the file is
    missing, carries no readable model config or one naming an unregistered type (it is about
    to be built: see :mod:`crevdet.checkpoint.registered_types`). ``checkpoint``: that file already
    loaded (it is then not read again)."""
    if checkpoint is None and not osp.isfile(path):
        raise FileNotFoundError(f'pretrained checkpoint {path} does not exist (pretrained= builds '
                                'the backbone from that file; pass model=<pretraining config> '
                                'to build it without one)')
    if checkpoint is None:  # crevdet's weights-only reader, registered with mmengine or not
        checkpoint = load_local_checkpoint(path, map_location='cpu')
    model = checkpoint_model(checkpoint, path)
    if model is None:
        raise ValueError(f'{path} carries no model config (meta["cfg"]: a checkpoint written '
                         "by mmengine's runner has one); pass model=<pretraining config> too")
    check_registered_types(model, f'model config stored in {path}')
    return model_from_pretrain_config(model)


def _norm(v):
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    return v


# former names of registered types, as older checkpoints' configs store them
TYPE_ALIASES = {'rpm': 'RPMPredictor', 'stacked': 'StackedRNNPredictor'}


# keys that never change the network, whatever the model: how it is wrapped and initialised, and
# its losses (``loss*``, ``beta*``). Each predictor adds its own training-only keys
# (``BaseVideoPredictor.TRAINING_ONLY_KEYS``: what only shapes pretraining, such as
# ``n_future``, or only which features a detector reads, such as the VQ-VAE's ``feature_path``)
TRAINING_ONLY = ('data_preprocessor', 'init_cfg')


def training_only_keys(cfg: dict) -> tuple:
    """:data:`TRAINING_ONLY` plus the ``TRAINING_ONLY_KEYS`` the registered class of
    ``cfg['type']`` declares (none for an unknown type)."""
    name = cfg.get('type')
    if not isinstance(name, str):
        return TRAINING_ONLY
    name = TYPE_ALIASES.get(name, name)
    try:
        cls = MODELS.get(name)
    except Exception:  # a name another scope resolves, or none: nothing of its own
        cls = None
    return TRAINING_ONLY + tuple(getattr(cls, 'TRAINING_ONLY_KEYS', ()))


def architecture_differences(built: dict, trained: dict, path: str = 'model',
                             skip: tuple = ()) -> List[str]:
    """``'key: checkpoint X vs config Y'`` for every key set on both sides to different values
    (recursively), training-only keys aside (:func:`training_only_keys` of the built type, for
    its nested dicts too; ``loss*``, ``beta*``). A key set on one side only is not compared: its
    other side is the class default, which this check cannot see. Weight shapes are checked
    separately."""
    diffs = []
    skip = tuple(skip) + training_only_keys(built)
    for key in sorted(set(built) & set(trained)):
        if key in skip or key.startswith(('loss', 'beta')):
            continue
        a, b = built[key], trained[key]
        if isinstance(a, dict) and isinstance(b, dict):
            diffs += architecture_differences(a, b, f'{path}.{key}', skip)
        elif key == 'type' and TYPE_ALIASES.get(a, a) == TYPE_ALIASES.get(b, b):
            continue
        elif _norm(a) != _norm(b):
            diffs.append(f'{path}.{key}: checkpoint {b!r} vs config {a!r}')
    return diffs


def check_architecture(built: dict, checkpoint: dict, path: str, strict: bool = True,
                       prefix: Optional[str] = None, target: str = 'the backbone') -> None:
    """Weights of equal shapes can still come from another architecture (``strength_scale``,
    ``update``, ``cell`` with equal widths ...): compare the model config stored in
    ``checkpoint`` (read from ``path``) with ``built``, the predictor config ``target`` builds.
    With ``prefix`` (e.g. ``'backbone.'``: a detector checkpoint) the predictor config is that
    submodule's ``model`` (a shipped config path it named is read as that config's model by
    :func:`checkpoint_model`; any other path is not followed: nothing to compare). A
    difference raises :class:`WeightMismatchError`, or with ``strict=False`` is logged."""
    trained = checkpoint_model(checkpoint)
    if prefix:
        for part in prefix.strip('.').split('.'):
            trained = trained.get(part) if isinstance(trained, dict) else None
        trained = trained.get('model') if isinstance(trained, dict) else None
    if not isinstance(trained, dict):
        return
    diffs = architecture_differences(built, trained)
    if not diffs:
        return
    msg = f'{path} was trained with another model than {target} builds: ' + '; '.join(diffs)
    if strict:
        raise WeightMismatchError(
            msg + ". Point the backbone's `model` at the pretraining config of that run, or "
            'set model.backbone.init_cfg.strict=False to load it anyway')
    print_log(msg + ' (loaded anyway: init_cfg strict=False)', logger='current', level=30)
