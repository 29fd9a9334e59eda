import os
import os.path as osp
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.join(osp.dirname(ROOT), 'shared', 'data')
sys.path.insert(0, ROOT)

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(scope='session', autouse=True)
def _register():
    from crevdet.utils import register_all_modules
    # as users do in Python: crevdet types resolve without a config's default_scope
    register_all_modules(init_default_scope=True)


def shared(*parts):
    """Path under ../shared/data, or skip the test when the folder is absent (a user's clone)."""
    p = osp.join(SHARED_DATA, *parts)
    if not osp.exists(p):
        pytest.skip(f'{p} not available')
    return p
