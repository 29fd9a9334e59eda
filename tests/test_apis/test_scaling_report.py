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


def test_pretrained_entries_are_read_against_scratch_on_the_top_checkpoint(monkeypatch):
    """Item 5's reading: per seed with (d), the frozen and fine-tuned entries on the checkpoint
    of the most video and iterations minus (d) (and (b)), paired; a count per entry."""
    shared = np.linspace(-1, 1, 50)
    monkeypatch.setattr(report, 'boot_metric', lambda c, n: c['metrics'][report.KEY] + shared)
    cells = []
    for seed, (frozen, tuned, scratch) in enumerate([(20.0, 24.0, 22.0), (18.0, 21.0, 23.0)]):
        cells += [cell(2400, seed, 80, 30.0), cell(2400, seed, 640, frozen),
                  cell(2400, seed, 640, tuned, entry='finetuned_lr'),
                  cell(None, seed, None, scratch, entry='scratch'),
                  cell(None, seed, None, 15.0, entry='random_frame_diff')]
        cells[-2]['budget_minutes'] = 40.0 + seed
    cells.append(cell(2400, 2, 640, 50.0))  # a seed with neither (d) nor (f): not read
    cells += [cell(2400, 3, 640, 30.0), cell(2400, 3, 640, 31.0, entry='finetuned_lr')]
    rows = report.against_scratch(cells, 2400, 640, n_boot=50)
    assert [(r['seed'], r['entry']) for r in rows] == [
        (0, 'pretrained'), (0, 'finetuned_lr'), (1, 'pretrained'), (1, 'finetuned_lr'),
        (3, 'pretrained'), (3, 'finetuned_lr')]
    assert [r['change'] for r in rows[:4]] == pytest.approx([-2.0, 2.0, -5.0, -2.0])
    assert not any('change' in r for r in rows[4:])  # seed 3 has no (d)
    assert rows[1]['over_b'] == pytest.approx(9.0) and rows[1]['interval'] == pytest.approx(
        [2.0, 2.0])
    text = '\n'.join(report._against_scratch_markdown(rows, 2400, 640))
    assert '| 0 | fine-tuned, backbone lr x0.1 | 24.00 | 22.00 | 40 | +2.00 [+2.0, +2.0] | ' \
           '+9.00 [+9.0, +9.0] |' in text
    assert 'frozen: at least (d) in 0 of 2 seeds; interval above 0 in 0.' in text
    assert '| 3 | fine-tuned, backbone lr x0.1 | 31.00 | n/a | n/a | n/a | n/a |' in text
    assert 'fine-tuned, backbone lr x0.1: at least (d) in 1 of 2 seeds; interval above 0 in 1.' \
        in text
    # the fine-tuned cell is not a row of the scaling table, nor in the readings
    assert [r['iters'] for r in report.margins(cells, n_boot=50)] == [80, 640, 80, 640, 640, 640]
    assert report.readings(cells, n_boot=50)['longer'][0]['change'] == pytest.approx(-10.0)
