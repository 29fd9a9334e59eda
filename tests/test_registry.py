"""crevdet's registries: every registered type is one hop from its name."""
import inspect
import os.path as osp

from mmengine.registry import Registry

import crevdet.registry as registries
from crevdet.utils import register_all_modules


def test_every_registered_type_lives_in_the_file_named_after_it():
    """One hop from a config's ``type`` to its file: the file's name (underscores dropped) is
    part of the class name, e.g. ``KittiRawVideoDataset`` in ``datasets/kitti_raw.py``. A name
    registered for another class is a kept alias (``KittiSSDHead`` -> ``FixedSSDHead``)."""
    register_all_modules()
    seen, bad = 0, []
    for reg in vars(registries).values():
        if not isinstance(reg, Registry):
            continue
        for name, cls in reg.module_dict.items():
            stem = osp.splitext(osp.basename(inspect.getfile(cls)))[0].replace('_', '')
            seen += 1
            if stem not in cls.__name__.lower():
                bad.append(f'{cls.__name__} in {inspect.getfile(cls)}')
            if name != cls.__name__:
                assert name in ('KittiSSDHead',), f'unexpected alias {name} of {cls.__name__}'
    assert seen >= 30 and not bad, bad
