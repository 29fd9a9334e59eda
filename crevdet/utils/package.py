"""Setting the package up: registering every crevdet module (``REPO_ROOT``, where crevdet's files
are, lives in the leaf module :mod:`crevdet.paths` and is re-exported here for old imports)."""
import datetime
import warnings

from mmengine import DefaultScope

from crevdet.paths import REPO_ROOT, register_config_scope  # noqa: F401


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

    from crevdet.checkpoint import install_checkpoint_loader
    mmdet_register(init_default_scope=False)
    register_config_scope()  # _base_ = 'crevdet::...' resolves (crevdet/paths.py)
    install_checkpoint_loader()  # weights-only loading (crevdet/checkpoint/files.py)
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
