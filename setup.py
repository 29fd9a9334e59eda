"""crevdet package. Install through tools/setup_env.sh: mmcv must be compiled first (see README)."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(*names):
    reqs = []
    for name in names:
        with open(osp.join(osp.dirname(__file__), 'requirements', name)) as f:
            reqs += [ln.split('#')[0].strip() for ln in f if ln.split('#')[0].strip()]
    return reqs


def read_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'crevdet', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='crevdet',
    version=read_version(),
    description='Self-supervised CrevNet video-prediction pretraining for 2D object detection '
    '(OpenMMLab: mmengine + mmcv + mmdet)',
    packages=find_packages(exclude=('tests', 'configs', 'tools')),
    python_requires='>=3.9,<3.14',
    install_requires=read_requirements('torch.txt', 'mmcv.txt', 'runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt')},
    zip_safe=False,
)
