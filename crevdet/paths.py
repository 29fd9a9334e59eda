"""Where crevdet's own files are, and the ``crevdet::`` config scope.

A leaf module: it imports nothing of crevdet (and mmengine only inside
:func:`register_config_scope`), so any part of crevdet may import it.

* ``PACKAGE_ROOT``: the ``crevdet/`` package folder.
* ``REPO_ROOT``: the source checkout the package runs from (``pip install -e .``), or, for an
  installed package (``pip install .``), the package's ``.mim/`` folder, which holds a copy of
  ``configs/``, ``tools/`` and ``model-index.yml`` (``setup.py`` puts them there). Either way
  ``osp.join(REPO_ROOT, 'configs', ...)`` and ``osp.join(REPO_ROOT, 'tools', ...)`` exist: nothing
  assumes a source checkout.
* ``CONFIG_ROOT``: ``REPO_ROOT/configs``, where ``crevdet::NAME`` resolves.

Shipped configs are named by their path under ``configs/`` with the ``crevdet::`` scope, as
mmdet's are with ``mmdet::``: :func:`resolve_config` turns such a name into a file path (the tools
call it), and :func:`register_config_scope` lets mmengine resolve ``_base_ = 'crevdet::...'``
(docs/design/package.md).
"""
import os.path as osp

SCOPE = 'crevdet'
PACKAGE_ROOT = osp.dirname(osp.abspath(__file__))
MIM_ROOT = osp.join(PACKAGE_ROOT, '.mim')


def _is_checkout(folder: str) -> bool:
    """``folder`` is crevdet's source checkout: it holds setup.py beside the package and the
    shipped configs."""
    return (osp.isfile(osp.join(folder, 'setup.py'))
            and osp.isfile(osp.join(folder, 'configs', '_base_', 'default_runtime.py')))


def _find_repo_root() -> str:
    checkout = osp.dirname(PACKAGE_ROOT)
    return checkout if _is_checkout(checkout) else MIM_ROOT


REPO_ROOT = _find_repo_root()
CONFIG_ROOT = osp.join(REPO_ROOT, 'configs')


def is_scoped(name) -> bool:
    """``name`` is a scoped config name (``crevdet::pretrain_kitti.py``, ``mmdet::...``)."""
    return isinstance(name, str) and '::' in name


def resolve_config(name: str) -> str:
    """The file of config ``name``: a ``crevdet::REL`` name is ``CONFIG_ROOT/REL`` (and registers
    the scope with mmengine, so the config's own ``crevdet::`` bases resolve too); any other name
    is returned unchanged (a path). A scoped name of another package, or a ``crevdet::`` name
    that is not a shipped config, is an error naming what was looked for."""
    if not is_scoped(name):
        return name
    scope, _, rel = name.partition('::')
    if scope != SCOPE:
        raise ValueError(f'config {name!r}: only the {SCOPE}:: scope names a config here; '
                         f'inherit configs of {scope!r} from a config of yours with '
                         f"_base_ = '{name}'")
    if not rel or '::' in rel or osp.isabs(rel):
        raise ValueError(f"config {name!r}: expected '{SCOPE}::<path under configs/>', e.g. "
                         f"'{SCOPE}::pretrain_kitti.py'")
    path = osp.normpath(osp.join(CONFIG_ROOT, rel))
    if not path.startswith(osp.normpath(CONFIG_ROOT) + osp.sep):
        raise ValueError(f'config {name!r} points outside crevdet\'s configs ({CONFIG_ROOT})')
    if not osp.isfile(path):
        raise FileNotFoundError(f'config {name!r} is not a shipped config: no {rel} in '
                                f'{CONFIG_ROOT}')
    register_config_scope()
    return path


def register_config_scope() -> None:
    """Let mmengine resolve ``_base_ = 'crevdet::<folder>/<file>.py'`` in any config, as it does
    ``mmdet::``: mmengine looks the scope up in its table of OpenMMLab packages that ship
    configs (``mmengine.config.utils.MODULE2PACKAGE``) and the file under the installed
    package's ``.mim/configs/``. Called at set-up (``register_all_modules``, the tools' config
    step), not on import. Idempotent."""
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault(SCOPE, 'crevdet')
