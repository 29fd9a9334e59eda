"""crevdet package. Install through tools/setup_env.sh: mmcv must be compiled first
(docs/get_started.md).

Like mmdet, the package carries its configs (and the tools) in ``crevdet/.mim/``, so an installed
crevdet resolves shipped configs by scoped name (``crevdet::pretrain_kitti.py``, crevdet/paths.py):
a build (``pip install .``, ``pip wheel .``) copies ``configs/``, ``tools/`` and
``model-index.yml`` into the build's ``crevdet/.mim/`` (never into the source tree); an editable
install (``setup.py develop``, what tools/setup_env.sh runs, or PEP 660) links them instead, so the
checkout's edits are seen at once (``crevdet/.mim/`` is ignored by git).
"""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.develop import develop

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_requirements(*names):
    reqs = []
    for name in names:
        with open(osp.join(HERE, 'requirements', name)) as f:
            reqs += [ln.split('#')[0].strip() for ln in f if ln.split('#')[0].strip()]
    return reqs


def read_version():
    scope = {}
    with open(osp.join(HERE, 'crevdet', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def _remove(path):
    if osp.islink(path) or osp.isfile(path):
        os.remove(path)
    elif osp.isdir(path):
        shutil.rmtree(path)


def copy_mim_files(package_dir):
    """Copies of MIM_FILES in ``package_dir/.mim`` (a build of the package)."""
    mim = osp.join(package_dir, '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(HERE, name), osp.join(mim, name)
        _remove(dst)
        if osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copy2(src, dst)


def link_mim_files():
    """Relative links ``crevdet/.mim/<name> -> ../../<name>`` in the checkout (editable install)."""
    mim = osp.join(HERE, 'crevdet', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FILES:
        dst = osp.join(mim, name)
        _remove(dst)
        os.symlink(osp.join('..', '..', name), dst)


class BuildPyWithMim(build_py):
    """build_py, plus the configs, tools and model index in the built package's ``.mim/``."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):  # PEP 660 editable: the checkout is the package
            link_mim_files()
        else:
            copy_mim_files(osp.join(self.build_lib, 'crevdet'))


class DevelopWithMim(develop):
    """``setup.py develop`` (pip's legacy editable install), plus the ``.mim`` links."""

    def run(self):
        super().run()
        link_mim_files()


with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
    long_description = f.read()

setup(
    name='crevdet',
    version=read_version(),
    description='Self-supervised CrevNet video-prediction pretraining for 2D object detection '
    '(OpenMMLab: mmengine + mmcv + mmdet)',
    long_description=long_description,
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    python_requires='>=3.9,<3.14',
    install_requires=read_requirements('torch.txt', 'mmcv.txt', 'runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt'), 'docs': read_requirements('docs.txt')},
    cmdclass={'build_py': BuildPyWithMim, 'develop': DevelopWithMim},
    classifiers=[
        'License :: OSI Approved :: Apache Software License',
        'Programming Language :: Python :: 3',
        'Operating System :: POSIX :: Linux',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    zip_safe=False,
)
