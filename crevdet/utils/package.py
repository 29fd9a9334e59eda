"""The package: where the repository is, and registering every crevdet module."""
import datetime
import os.path as osp
import warnings

from mmengine import DefaultScope

# the repository root (crevdet is installed in development mode): shipped configs resolve from it
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every crevdet module so it is registered, route mmengine's loading of local
    checkpoints through crevdet's weights-only policy, and (optionally) make ``crevdet`` the
    default scope, as mmdet's ``register_all_modules`` does."""
    import crevdet.datasets  # noqa: F401
    import crevdet.engine  # noqa: F401
    import crevdet.evaluation  # noqa: F401
    import crevdet.models  # noqa: F401
    import crevdet.visualization  # noqa: F401
    from mmdet.utils import register_all_modules as mmdet_register

    from crevdet.engine import install_checkpoint_loader
    mmdet_register(init_default_scope=False)
    install_checkpoint_loader()  # weights-only loading (crevdet/engine/checkpoint.py)
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or current.scope_name != 'crevdet':
        if current is not None:
            warnings.warn(f'The current default scope "{current.scope_name}" is not "crevdet"; '
                          '`register_all_modules` makes a new one named "crevdet-<time>".')
            name = f'crevdet-{datetime.datetime.now()}'
        else:
            name = 'crevdet'
        DefaultScope.get_instance(name, scope_name='crevdet')
