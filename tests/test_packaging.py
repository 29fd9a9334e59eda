"""crevdet installs like a package: a wheel carries the configs (and tools) in ``crevdet/.mim``,
scoped config names resolve from the installed package, and the package's import graph has no
cycle between its subpackages."""
import ast
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile
from collections import defaultdict

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = osp.join(ROOT, 'crevdet')


# ---- the import graph --------------------------------------------------------------------------

def _module_name(path: str, root: str = ROOT) -> str:
    rel = osp.relpath(path, root)[:-3].replace(os.sep, '.')
    return rel[:-len('.__init__')] if rel.endswith('.__init__') else rel


def _unit(module: str) -> str:
    """The subpackage (or top-level module) a crevdet module belongs to: crevdet.models.layers.rpm
    -> crevdet.models; crevdet.paths -> crevdet.paths."""
    return '.'.join(module.split('.')[:2])


def module_level_imports(path: str, root: str = ROOT):
    """The crevdet modules ``path`` imports when it is imported (statements at module level,
    including inside top-level if/try blocks; imports inside functions and classes run later)."""
    module = _module_name(path, root)
    package = module if path.endswith('__init__.py') else module.rsplit('.', 1)[0]
    tree = ast.parse(open(path, encoding='utf-8').read(), filename=path)
    stack, found = list(tree.body), []
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.If, ast.Try)):
            stack += node.body + node.orelse + getattr(node, 'finalbody', []) + \
                [n for h in getattr(node, 'handlers', []) for n in h.body]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found += _import_targets(node, package)
    return [m for m in found if m and (m == 'crevdet' or m.startswith('crevdet.'))]


def _import_targets(node, package: str):
    """The crevdet modules one import statement names (``from a import b`` names ``a.b`` too
    when that is a module: the submodule is what runs)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = '.'.join(package.split('.')[:len(package.split('.')) - node.level + 1] +
                        ([node.module] if node.module else []))
    else:
        base = node.module or ''
    return [base] + [f'{base}.{a.name}' for a in node.names if a.name != '*']


def all_imports(path: str, root: str = ROOT):
    """Every crevdet module ``path`` imports, at module level or inside functions."""
    module = _module_name(path, root)
    package = module if path.endswith('__init__.py') else module.rsplit('.', 1)[0]
    tree = ast.parse(open(path, encoding='utf-8').read(), filename=path)
    found = [t for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
             for t in _import_targets(node, package)]
    return [m for m in found if m == 'crevdet' or m.startswith('crevdet.')]


def _modules(package_dir: str):
    root = osp.dirname(package_dir)
    for folder, _, files in os.walk(package_dir):
        for name in sorted(files):
            if name.endswith('.py'):
                yield osp.join(folder, name), root


def subpackage_graph(package_dir: str = PACKAGE, imports=module_level_imports):
    """{(unit, imported unit): [importing modules]} over crevdet's subpackages."""
    edges = defaultdict(list)
    for path, root in _modules(package_dir):
        module = _module_name(path, root)
        for target in imports(path, root):
            src, dst = _unit(module), _unit(target)
            if dst != src and 'crevdet' not in (src, dst):
                edges[(src, dst)].append(module)
    return edges


def module_graph(package_dir: str = PACKAGE):
    """{(module, imported module): [module]} over crevdet's modules, module-level imports only
    (a module that a package imports runs when the package is imported)."""
    known = {_module_name(p, r) for p, r in _modules(package_dir)}
    edges = defaultdict(list)
    for path, root in _modules(package_dir):
        module = _module_name(path, root)
        for target in module_level_imports(path, root):
            if target in known and target != module:
                edges[(module, target)].append(module)
    return edges


def find_cycles(edges):
    """Strongly connected components with more than one unit (Tarjan)."""
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_subpackages():
    edges = subpackage_graph()
    cycles = find_cycles(edges)
    detail = [f'{a} -> {b} ({", ".join(sorted(set(edges[(a, b)])))})'
              for comp in cycles for a in comp for b in comp if (a, b) in edges]
    assert not cycles, 'import cycle between crevdet subpackages:\n' + '\n'.join(detail)


def test_no_import_cycle_between_modules_inside_a_subpackage():
    edges = module_graph()
    cycles = find_cycles(edges)
    assert not cycles, 'import cycle between crevdet modules:\n' + '\n'.join(
        ' <-> '.join(c) for c in cycles)


def test_no_subpackage_imports_one_that_imports_it_even_inside_functions():
    """Zero two-way edges: imports inside functions count too (they are how the two circles
    and the engine <-> models edge of crevdet 0.3 hid)."""
    edges = subpackage_graph(imports=all_imports)
    both = sorted(f'{a} <-> {b} ({", ".join(sorted(set(edges[(a, b)])))} / '
                  f'{", ".join(sorted(set(edges[(b, a)])))})'
                  for a, b in edges if (b, a) in edges and a < b)
    assert not both, 'subpackages importing each other:\n' + '\n'.join(both)


def test_models_import_neither_engine_apis_nor_the_tools_helpers_and_read_no_repository():
    bad = [(module, target) for path, root in _modules(osp.join(PACKAGE, 'models'))
           for module in [_module_name(path, root)] for target in all_imports(path, root)
           if target.startswith(('crevdet.engine', 'crevdet.apis', 'crevdet.cli'))]
    assert not bad, f'crevdet.models imports {bad}'
    uses = [osp.relpath(p, ROOT) for p, _ in _modules(osp.join(PACKAGE, 'models'))
            if 'REPO_ROOT' in open(p, encoding='utf-8').read()]
    assert not uses, f'REPO_ROOT (files of the repository) used in {uses}'


def test_nothing_in_the_package_imports_the_command_line_layer():
    edges = subpackage_graph(imports=all_imports)
    users = sorted({m for (a, b), ms in edges.items() if b == 'crevdet.cli' for m in ms})
    assert not users, f'crevdet.cli (the tools\' layer) imported by {users}'


def test_the_checks_find_circles_inside_a_subpackage_and_through_functions(tmp_path):
    """The circles of crevdet 0.3, rebuilt small: datasets' base_video <-> frame_cache at module
    level, and engine -> models at module level against models -> engine in a function."""
    pkg = tmp_path / 'crevdet'
    files = {'__init__.py': '', 'datasets/__init__.py': 'from .base_video import A\n',
             'datasets/base_video.py': 'from .frame_cache import cache\nA = 1\n',
             'datasets/frame_cache.py': 'from crevdet.datasets.base_video import A\ncache = A\n',
             'engine/__init__.py': 'from crevdet.models import weights\n',
             'models/__init__.py': '', 'models/weights.py': (
                 'def load():\n    from crevdet.engine import checkpoint\n')}
    for rel, text in files.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    assert find_cycles(module_graph(str(pkg))) == [
        ['crevdet.datasets.base_video', 'crevdet.datasets.frame_cache']]
    assert not find_cycles(subpackage_graph(str(pkg)))  # module level: one way
    edges = subpackage_graph(str(pkg), imports=all_imports)
    assert ('crevdet.engine', 'crevdet.models') in edges and \
        ('crevdet.models', 'crevdet.engine') in edges


def test_the_cycle_check_finds_a_cycle(tmp_path):
    """The check above can fail: a package whose engine and visualization import each other."""
    pkg = tmp_path / 'crevdet'
    for sub, imports in (('engine', 'from crevdet.visualization import draw\n'),
                         ('visualization', 'import os\ntry:\n    from crevdet.engine import x\n'
                                           'except ImportError:\n    pass\n'),
                         ('models', 'from crevdet.paths import REPO_ROOT\n')):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / '__init__.py').write_text(imports)
    (pkg / '__init__.py').write_text('')
    (pkg / 'paths.py').write_text('import os\n')
    assert find_cycles(subpackage_graph(str(pkg))) == [['crevdet.engine', 'crevdet.visualization']]


def test_paths_is_a_leaf_and_models_do_not_load_the_cli():
    assert module_level_imports(osp.join(PACKAGE, 'paths.py')) == []
    code = ('import sys, crevdet.models\n'
            'print(sorted(m for m in sys.modules if m.startswith("crevdet.cli")))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.strip()
    assert out == '[]', f'importing crevdet.models loaded the tools\' helpers: {out}'


# ---- the wheel -----------------------------------------------------------------------------------

SOURCE = ('setup.py', 'MANIFEST.in', 'README.md', 'model-index.yml', 'requirements', 'crevdet',
          'configs', 'tools')


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """crevdet built as a wheel from a copy of the source (the checkout is not touched) and
    installed, not editable, into a folder of its own: ``(wheel, site folder)``."""
    tmp = tmp_path_factory.mktemp('wheel')
    src = tmp / 'src'
    src.mkdir()
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim', '*.egg-info')
    for name in SOURCE:
        path = osp.join(ROOT, name)
        if osp.isdir(path):
            shutil.copytree(path, src / name, ignore=ignore, symlinks=False)
        else:
            shutil.copy2(path, src / name)
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check', '-q']
    subprocess.run(pip + ['wheel', '--no-deps', '--no-build-isolation', '-w', str(tmp / 'dist'),
                          str(src)], check=True, capture_output=True)
    wheel, = (tmp / 'dist').glob('crevdet-*.whl')
    site = tmp / 'site'
    subprocess.run(pip + ['install', '--no-deps', '--no-index', '--target', str(site), str(wheel)],
                   check=True, capture_output=True)
    return wheel, site


def test_wheel_ships_the_configs_tools_and_model_index(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {osp.relpath(osp.join(folder, f), ROOT)
               for top in ('configs', 'tools') for folder, _, files in os.walk(osp.join(ROOT, top))
               for f in files if not f.endswith('.pyc') and '__pycache__' not in folder}
    missing = sorted(p for p in shipped if f'crevdet/.mim/{p}' not in names)
    assert not missing, f'not in the wheel: {missing[:10]}'
    assert 'crevdet/.mim/model-index.yml' in names and 'crevdet/paths.py' in names
    assert not any(n.startswith(('configs/', 'tools/', 'tests/')) for n in names)
    # the lab (research scripts, study records) stays in the checkout
    assert not any('research' in n or n.startswith(('projects/', 'crevdet/.mim/projects'))
                   for n in names), sorted(n for n in names if 'research' in n)[:5]


def test_installed_package_resolves_scoped_configs_without_a_checkout(installed, tmp_path):
    _, site = installed
    (tmp_path / 'my_config.py').write_text(
        "_base_ = ['crevdet::_base_/models/crevnet_detect.py', "
        "'crevdet::_base_/datasets/moving_mnist.py']\n"
        "model = dict(in_channels=1, n_past=2, n_future=1)\n")
    code = f'''
import os.path as osp, crevdet
from crevdet.paths import REPO_ROOT, resolve_config
from crevdet.utils import register_all_modules
from mmengine.config import Config
site = {str(site)!r}
assert crevdet.__file__.startswith(site), crevdet.__file__
assert REPO_ROOT == osp.join(site, 'crevdet', '.mim'), REPO_ROOT
path = resolve_config('crevdet::crevnet/ssd_crevnet-detect_kitti-416x128.py')
assert path.startswith(REPO_ROOT), path
cfg = Config.fromfile(path)
assert cfg.model.backbone.type == 'CrevNetBackbone'
register_all_modules()
from crevdet.checkpoint import expand_pretrain_configs
backbone = expand_pretrain_configs(cfg).model.backbone.model  # configs/... read from .mim
assert isinstance(backbone, dict) and backbone['type'] == 'CrevNet', backbone
cfg = Config.fromfile('my_config.py')  # crevdet:: bases resolved by mmengine
assert cfg.model.predictor.diff_input == 'only' and cfg.model.in_channels == 1
from crevdet.registry import MODELS
net = MODELS.build(cfg.model)
print('ok', type(net).__name__)
'''
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0 and 'ok CrevNet' in out.stdout, out.stderr[-3000:]
    # the shipped tool takes a scoped name (stopped at the --cfg-options check, after reading it)
    tool = osp.join(site, 'crevdet', '.mim', 'tools', 'train.py')
    out = subprocess.run([sys.executable, tool, 'crevdet::pretrain_mmnist.py', '--cfg-options',
                          'trian_dataloader.batch_size=2'], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert "did you mean 'train_dataloader'" in out.stderr, out.stderr[-3000:]
