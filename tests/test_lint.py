"""The code passes the project's lint (ruff.toml: pycodestyle + pyflakes at 100 columns), and
the lint can fail: a file with an unused import and an over-long line is reported."""
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _ruff(*args, cwd=ROOT):
    return subprocess.run([sys.executable, '-m', 'ruff', 'check', '--no-cache', *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_the_code_passes_the_lint():
    proc = _ruff('.')
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_the_lint_reports_an_unused_import_and_a_long_line(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('import os\nx = "' + 'a' * 120 + '"\n')
    proc = _ruff('--config', osp.join(ROOT, 'ruff.toml'), str(bad), cwd=str(tmp_path))
    assert proc.returncode == 1
    assert 'F401' in proc.stdout and 'E501' in proc.stdout
