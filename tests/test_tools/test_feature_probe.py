"""projects/research/feature_probe.py: the probe's pieces give known numbers."""
import numpy as np
import pytest

from conftest import load_tool

probe = load_tool('projects/research/feature_probe.py')


def test_average_precision_matches_hand_computed_values():
    labels = np.array([1, 0, 1, 0])
    assert probe.average_precision(np.array([4., 3, 2, 1]), labels) == (1 + 2 / 3) / 2
    assert probe.average_precision(np.array([1., 2, 3, 4]), labels) == (1 / 2 + 2 / 4) / 2
    assert np.isnan(probe.average_precision(np.ones(3), np.zeros(3)))


def test_cells_inside_boxes_use_cell_centres():
    # 4x4 cells of 10 px: centres at 5, 15, 25, 35; a box from x 10..30, y 0..12
    got = probe.inside_boxes(4, 4, 10., 10., np.array([[10, 0, 30, 12]]))
    want = np.zeros((4, 4), bool)
    want[0, 1:3] = True
    assert (got == want).all()
    assert not probe.inside_boxes(2, 2, 10., 10., np.zeros((0, 4))).any()


def test_ridge_probe_finds_a_linear_signal_and_not_noise():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5)) * [1, 100, 1, 1, 1]  # one channel at another scale
    y = x[:, 1] > 30
    scores = probe.ridge_probe(x[:200], y[:200], x[200:])
    assert probe.average_precision(scores, y[200:]) > 0.95
    noise = probe.ridge_probe(x[:200, [0, 2, 3, 4]], y[:200], x[200:, [0, 2, 3, 4]])
    assert probe.average_precision(noise, y[200:]) < 0.5
    st = probe.stats(np.array([[1., 0], [3., 0]]))
    assert st['dc'] == (4 + 0) / 5 and st['scale'] == 0.5


def test_bad_data_root_and_checkpoint_are_named(tmp_path):
    with pytest.raises(SystemExit, match=r'--data-root .* is not a KITTI-object layout folder'):
        probe.main(['configs/demo/ssd_demo.py', 'random', '--data-root', str(tmp_path)])
    (tmp_path / 'ImageSets').mkdir()
    (tmp_path / 'ImageSets' / 'val.txt').write_text('000000\n')
    with pytest.raises(SystemExit, match=r'checkpoint .*nope\.pth not found'):
        probe.main(['configs/demo/ssd_demo.py', str(tmp_path / 'nope.pth'), '--data-root',
                    str(tmp_path)])
