"""The scaling study's readings: paired differences between cells of one seed (longer
pretraining at one amount of video, more video at one length), the controls cancelling."""
import numpy as np
import pytest

import crevdet.apis.scaling_report as report


def cell(video, seed, iters, value, entry='pretrained'):
    return dict(entry=entry, video=video, seed=seed, iters=iters,
                metrics={report.KEY: value}, name=f'{entry}{video}_{seed}_{iters}')


def test_readings_are_paired_differences_of_the_longest_and_shortest_and_most_and_least(
        monkeypatch):
    # each cell's bootstrap values: its mAP plus a per-draw offset shared by the seed's cells
    # (paired draws of the same images), so differences have a zero-width interval
    shared = np.linspace(-1, 1, 50)
    monkeypatch.setattr(report, 'boot_metric', lambda c, n: c['metrics'][report.KEY] + shared)
    cells = [cell(240, 0, 80, 26.0), cell(240, 0, 640, 24.0), cell(2400, 0, 80, 24.5),
             cell(2400, 0, 320, 25.0), cell(2400, 0, 640, 25.5),
             cell(None, 0, None, 15.0, entry='random_frame_diff')]
    found = report.readings(cells, n_boot=50)
    assert [(r['video'], r['first'], r['last']) for r in found['longer']] == [
        (240, 80, 640), (2400, 80, 640)]
    assert [r['change'] for r in found['longer']] == pytest.approx([-2.0, 1.0])
    assert found['longer'][0]['interval'] == pytest.approx([-2.0, -2.0])
    # more video only where both amounts have that length (80 and 640, not 320)
    assert [(r['iters'], r['least'], r['most']) for r in found['more_video']] == [
        (80, 240, 2400), (640, 240, 2400)]
    assert [r['change'] for r in found['more_video']] == pytest.approx([-1.5, 1.5])
    text = '\n'.join(report._readings_markdown(found))
    assert '| 2400 | 0 | 80 -> 640 | +1.00 [+1.0, +1.0] |' in text
    assert '| 0 | 640 | 240 -> 2400 | +1.50 [+1.5, +1.5] |' in text
    # one length, one amount of video: nothing to read
    assert report.readings([cells[0]], n_boot=50) == dict(longer=[], more_video=[])
