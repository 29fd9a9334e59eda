"""The library never runs a script of ``tools/``: the experiment API starts the package entry
points ``python -m crevdet.cli.train`` / ``crevdet.cli.test`` (which an installed crevdet has
too), and ``tools/train.py`` / ``tools/test.py`` are those same entry points."""
import ast
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from crevdet.apis.transfer import TEST, TRAIN, run_tool

SCRIPT = re.compile(r'^(\./)?tools/[\w/]+\.py$')


def _script_constants(path):
    """String constants of ``path`` that are exactly a tools/ script path (docstrings aside)."""
    tree = ast.parse(open(path, encoding='utf-8').read())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs and SCRIPT.match(n.value)]


def test_no_module_of_the_package_names_a_tools_script_to_run():
    found = {}
    for folder, _, files in os.walk(osp.join(ROOT, 'crevdet')):
        for name in files:
            if name.endswith('.py'):
                hits = _script_constants(osp.join(folder, name))
                if hits:
                    found[osp.relpath(osp.join(folder, name), ROOT)] = hits
    assert not found, f'the package names tools/ scripts to run: {found}'


def test_the_check_sees_a_script_path(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('"""Runs tools/train.py."""\nimport subprocess\n'
                   "subprocess.run(['python', 'tools/train.py', 'cfg.py'])\n")
    assert _script_constants(str(bad)) == ['tools/train.py']


def test_run_tool_refuses_a_script_and_starts_the_entry_points(tmp_path):
    with pytest.raises(ValueError, match='not a script'):
        run_tool(['tools/train.py', 'cfg.py'], str(tmp_path / 'x.log'), 'train')
    assert TRAIN == ['-m', 'crevdet.cli.train'] and TEST == ['-m', 'crevdet.cli.test']
    for entry, script in ((TRAIN, 'tools/train.py'), (TEST, 'tools/test.py')):
        helps = [subprocess.run([sys.executable, *cmd, '--help'], cwd=ROOT, capture_output=True,
                                text=True, timeout=120) for cmd in (entry, [script])]
        assert all(h.returncode == 0 for h in helps), [h.stderr[-500:] for h in helps]
        # the same parser: only the program name differs
        a, b = (h.stdout.split('\n', 1)[1] for h in helps)
        assert a == b and '--cfg-options' in a
