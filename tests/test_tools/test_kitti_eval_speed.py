"""tools/analysis_tools/kitti_eval_speed.py --devkit: the label files it writes, the timing loop
and the comparison of a devkit binary's stats files with kitti_eval (a stand-in binary computes
the curves with the devkit transliteration, so the comparison is of real numbers)."""
import os
import os.path as osp
import stat
import sys

import pytest
from conftest import load_tool

from crevdet.evaluation.functional.kitti_reference import random_kitti_annotations

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'kitti_eval_speed.py')
kitti_eval_speed = load_tool('tools/analysis_tools/kitti_eval_speed.py')

# a stand-in for the devkit binary: `<bin> gt_dir result_dir` writes
# result_dir/stats_<class>_detection.txt (3 lines of 41 precisions, "%f "), computed with the
# line-by-line devkit transliteration from the label files
FAKE_DEVKIT = f'''#!{sys.executable}
import importlib.util, os, sys
sys.path.insert(0, {REPO!r})
spec = importlib.util.spec_from_file_location('kitti_eval_speed', {TOOL!r})
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)
read_label_files = tool.read_label_files
from crevdet.evaluation.functional.kitti_reference import kitti_precision_curve_reference
gt_dir, res_dir = sys.argv[1:3]
gts, dets = read_label_files(gt_dir, res_dir, len(os.listdir(gt_dir)))
for cls in ('car', 'pedestrian', 'cyclist'):
    with open(os.path.join(res_dir, 'stats_%s_detection.txt' % cls), 'w') as fh:
        for d in range(3):
            fh.write(''.join('%f ' % p for p in
                             kitti_precision_curve_reference(cls, gts, dets, d)) + '\\n')
'''


def _executable(path, text):
    with open(path, 'w') as fh:
        fh.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return str(path)


def test_label_files_round_trip(tmp_path):
    gts, dets = random_kitti_annotations(6, seed=3)
    gt_dir, res_dir = kitti_eval_speed.write_label_files(gts, dets, str(tmp_path))
    assert sorted(os.listdir(gt_dir)) == [f'{i:06d}.txt' for i in range(6)]
    g2, d2 = kitti_eval_speed.read_label_files(gt_dir, res_dir, 6)
    assert [len(g) for g in g2] == [len(g) for g in gts]
    assert [len(d) for d in d2] == [len(d) for d in dets]
    g, gr = gts[0][0], g2[0][0]
    assert gr['type'] == g['type'] and gr['occluded'] == g['occluded']
    assert gr['bbox'] == pytest.approx(g['bbox'], abs=0.005)
    d, dr = dets[0][0], d2[0][0]
    assert dr['bbox'] == pytest.approx(d['bbox'], abs=0.005)
    assert dr['score'] == pytest.approx(d['score'], abs=5e-5)


def test_devkit_comparison_agrees_with_the_transliteration(tmp_path, capsys):
    binary = _executable(tmp_path / 'devkit', FAKE_DEVKIT)
    kitti_eval_speed.main(['--images', '200', '--repeat', '1', '--no-reference',
                           '--devkit', binary])
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith('largest AP difference'))
    assert "devkit's 18 entries" in line
    assert float(line.split(':')[1].split()[0]) < 1e-4  # 6-decimal precision in the files
    assert 'x the devkit\'s time' in out


def test_devkit_errors(tmp_path):
    with pytest.raises(SystemExit, match='is not an executable file'):
        kitti_eval_speed.main(['--images', '4', '--devkit', str(tmp_path / 'missing')])
    silent = _executable(tmp_path / 'silent', f'#!{sys.executable}\n')
    with pytest.raises(SystemExit, match='wrote no stats_<class>_detection.txt'):
        kitti_eval_speed.main(['--images', '4', '--repeat', '1', '--no-reference',
                               '--devkit', silent])
    failing = _executable(tmp_path / 'failing', f'#!{sys.executable}\nraise SystemExit(3)\n')
    with pytest.raises(SystemExit, match='failed .exit 3.'):
        kitti_eval_speed.main(['--images', '4', '--repeat', '1', '--no-reference',
                               '--devkit', failing])
