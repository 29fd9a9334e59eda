"""tools/analysis_tools/scaling.py on tiny data: one pretraining with 2 checkpoints (2
iterations), a frozen SSD of 2 iterations on each and on the two controls, every detector tested
on held-out images; the report; resuming keeps finished cells; another study is refused. The
cells' order, configs and budgets of entries (f) and (d), and the rerun of a cell cut short, are
read with a fake runner (no training)."""
import json
import os
import os.path as osp
import re
import time

import pytest
from conftest import load_tool

from crevdet.apis.world import ensure_world, same_object_images

WORLD = dict(size=(94, 310), raw_frames=6, det_train=4, det_val=2)
TINY = ['--data-seed', '11', '--video-frames', '36', '--iters', '1', '2', '--seeds', '0',
        '--heldout', '6', '--labels', '2', '--det-epochs', '1', '--boot', '20',
        '--pretrain-config', 'tests/configs/tiny_scaling_pretrain.py',
        '--det-config', 'tests/configs/tiny_scaling_ssd.py']


def _lines(capsys):
    return [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith('[scaling')]


def test_more_video_keeps_the_object_images(tmp_path):
    """Drives past the first six draw from streams of their own: the labelled images of a world
    with more video are the same files."""
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    world = dict(WORLD, det_train=2, det_val=1)
    assert ensure_world(a, 'moving', 4, 36, lambda m: None, **world)
    assert ensure_world(b, 'moving', 4, 48, lambda m: None, **world)
    assert same_object_images(osp.join(a, 'object'), osp.join(b, 'object')) is None
    drives = lambda d: sorted(os.listdir(osp.join(d, 'raw', '2011_09_26')))  # noqa: E731
    assert len(drives(a)) == 6 and len(drives(b)) == 8 and drives(b)[:6] == drives(a)
    assert open(osp.join(b, '.complete')).read() == 'seed=4 camera=moving video=48\n'
    # the first six drives are the smaller world's, the new ones are new video
    frame = lambda d, k: open(osp.join(  # noqa: E731
        d, 'raw', '2011_09_26', drives(b)[k], 'image_02', 'data', '0000000002.png'), 'rb').read()
    assert frame(a, 5) == frame(b, 5) and frame(b, 6) != frame(b, 5) != frame(b, 7)
    with pytest.raises(ValueError, match='multiple of 6'):
        ensure_world(str(tmp_path / 'c'), 'moving', 4, 40, lambda m: None, **world)
    assert not osp.exists(tmp_path / 'c')


def test_scaling_study_runs_resumes_and_refuses_another(tmp_path, capsys):
    tool = load_tool('tools/analysis_tools/scaling.py')
    study = str(tmp_path / 'study')
    tool.main([study] + TINY, world=WORLD)
    lines = _lines(capsys)
    cells = [ln for ln in lines if '] cell ' in ln]
    assert [ln.split('] cell ')[1].split(':')[0] for ln in cells] == [
        '1/4 random_seed0', '2/4 random_frame_diff_seed0', '3/4 video36_seed0_iter1',
        '4/4 video36_seed0_iter2']
    assert all('held-out mAP R40' in ln and 'done in' in ln for ln in cells)
    assert all(re.search(r' \+\d\d:\d\d\] cell', ln) for ln in cells)  # the elapsed time
    # one pretraining, a checkpoint at each of the iterations
    pre = osp.join(study, 'pretrain', 'video36_seed0')
    assert {'iter_1.pth', 'iter_2.pth'} <= set(os.listdir(pre))
    cell = json.load(open(osp.join(study, 'cells', 'video36_seed0_iter1', 'cell.json')))
    assert cell['checkpoint'] == osp.join(pre, 'iter_1.pth')
    assert cell['n_images'] == 6 and cell['machine']['cpus'] == os.cpu_count()
    det_cfg = open(osp.join(study, 'cells', 'video36_seed0_iter1',
                            'video36_seed0_iter1.py')).read()
    assert "ann_file='ImageSets/train_2.txt'" in det_cfg and 'max_epochs=2' in det_cfg
    report = json.load(open(osp.join(study, 'scaling.json')))
    assert [(r['video'], r['seed'], r['iters']) for r in report['rows']] == [
        (36, 0, 1), (36, 0, 2)]
    row = report['rows'][0]
    assert row['margin_random_frame_diff'] == pytest.approx(
        row['pretrained'] - row['random_frame_diff'])
    lo, hi = row['interval_random_frame_diff']
    assert lo <= hi
    md = open(osp.join(study, 'scaling.md')).read()
    assert '| 36 | 0 | 2 |' in md and '6 held-out images' in md
    assert open(osp.join(study, 'scaling.png'), 'rb').read(4) == b'\x89PNG'

    # resumed: finished cells are kept, nothing trains (a cell cut short: the fake-runner test)
    tool.main([study] + TINY, world=WORLD)
    cells = [ln for ln in _lines(capsys) if '] cell ' in ln]
    assert len(cells) == 4 and all('finished before, kept' in ln for ln in cells)

    # another study in the same folder is refused, naming the field; the grid may grow
    with pytest.raises(SystemExit, match=r"its labels is 2, this run asks for 3"):
        tool.main([study] + TINY + ['--labels', '3'], world=WORLD)
    record = str(tmp_path / 'record')
    tool.main([study] + TINY + ['--report-only', '--export', record], world=WORLD)
    assert '| 36 | 0 | 1 |' in capsys.readouterr().out
    assert sorted(os.listdir(osp.join(record, 'cells'))) == sorted(os.listdir(
        osp.join(study, 'cells')))
    assert osp.isfile(osp.join(record, 'cells', 'random_seed0', 'boot_20_0.npy'))
    # a record copied into a new folder: every cell counts as finished, the report is the same
    import shutil
    again = str(tmp_path / 'again')
    shutil.copytree(record, again)
    tool.main([again] + TINY, world=WORLD)
    cells = [ln for ln in _lines(capsys) if '] cell ' in ln]
    assert len(cells) == 4 and all('finished before, kept' in ln for ln in cells)
    assert json.load(open(osp.join(again, 'scaling.json')))['rows'] == \
        json.load(open(osp.join(study, 'scaling.json')))['rows']


def test_scaling_refuses_bad_folders_and_options(tmp_path, capsys):
    tool = load_tool('tools/analysis_tools/scaling.py')
    f = tmp_path / 'file'
    f.write_text('mine')
    with pytest.raises(SystemExit, match='is a file, not a folder'):
        tool.main([str(f)] + TINY, world=WORLD)
    d = tmp_path / 'other'
    d.mkdir()
    (d / 'notes.txt').write_text('mine')
    with pytest.raises(SystemExit, match='holds no study.json'):
        tool.main([str(d)] + TINY, world=WORLD)
    with pytest.raises(SystemExit, match='holds no study to report'):
        tool.main([str(tmp_path / 'new'), '--data-seed', '1', '--report-only'])
    assert f.read_text() == 'mine' and os.listdir(d) == ['notes.txt']
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'x'), '--data-seed', '1', '--video-frames', '250'])
    assert 'multiple of 40' in capsys.readouterr().err


def test_control_d_comes_last_per_seed_with_the_pretraining_and_detector_wall_clock(tmp_path):
    """--scratch: (d) per seed, after the seed's pretrained cells, budgeted with the summed
    wall-clock of its pretraining runs (the most video, the largest iterations) plus that
    checkpoint's detector training; a study keeps it once on; the report shows its columns."""
    scaling = load_tool('tools/analysis_tools/scaling.py')
    from crevdet.apis.scaling_report import markdown
    args = scaling.parse_args([str(tmp_path / 's')] + TINY + ['--scratch'], WORLD['raw_frames'])
    spec = scaling.open_study(str(tmp_path / 's'), scaling.study_spec(args, WORLD))
    assert spec['scratch'] is True
    study = scaling.Study(str(tmp_path / 's'), spec)
    names = [p[0] for p in study.plan()]
    assert names == ['random_seed0', 'random_frame_diff_seed0', 'video36_seed0_iter1',
                     'video36_seed0_iter2', 'scratch_seed0']
    # without --scratch the same folder keeps it
    plain = scaling.parse_args([str(tmp_path / 's')] + TINY, WORLD['raw_frames'])
    assert scaling.open_study(str(tmp_path / 's'), scaling.study_spec(plain, WORLD))['scratch']
    with pytest.raises(SystemExit, match=r'control \(d\) of seed 0 needs the wall-clock of its '
                                         r'pretraining .*video36_seed0\.seconds\.json'):
        study.scratch_minutes(0)
    pre = osp.join(study.dir, 'pretrain', 'video36_seed0')
    os.makedirs(osp.dirname(pre))
    study._add_pretrain_seconds(pre, 100.0)  # interrupted, then resumed: both runs count
    study._add_pretrain_seconds(pre, 50.0)
    os.makedirs(osp.dirname(study.cell_file('video36_seed0_iter2')))
    with open(study.cell_file('video36_seed0_iter2'), 'w') as f:
        json.dump(dict(train_seconds=30.0), f)
    assert study.scratch_minutes(0) == pytest.approx(3.0)
    row = dict(video=36, seed=0, iters=2, pretrained=20.0, random=10.0, random_frame_diff=12.0,
               scratch=15.0, margin_random=10.0, margin_random_frame_diff=8.0, margin_scratch=5.0,
               interval_random=[9, 11], interval_random_frame_diff=[7, 9],
               interval_scratch=[1.5, 8.5])
    table = markdown([row], spec, 6, 20)
    assert '| (a) random | (b) random + frame-diff | (d) scratch | minus (a) | minus (b) | ' \
           'minus (d) |' in table
    assert '| 36 | 0 | 2 | 20.00 | 10.00 | 12.00 | 15.00 | +10.00 [+9.0, +11.0] | ' \
           '+8.00 [+7.0, +9.0] | +5.00 [+1.5, +8.5] |' in table


def test_finetuned_and_scratch_cells_with_a_fake_runner(tmp_path, capsys, monkeypatch):
    """--finetune --scratch: per seed, after the pretrained cells, (f) fine-tunes the
    checkpoint of the most video and iterations (unfrozen, backbone lr x0.1), then (d) gets the
    pretraining's wall-clock plus the longer of the frozen and fine-tuned trainings; a cell cut
    short runs again alone."""
    tool = load_tool('tools/analysis_tools/scaling.py')
    study = str(tmp_path / 'study')
    runs = []

    def fake_run(args, log_file, what, log=print):
        runs.append(what)
        work = args[args.index('--work-dir') + 1]
        os.makedirs(work, exist_ok=True)
        running = json.load(open(osp.join(study, 'running.json')))
        assert running['what'] == what and running['budgeted'] == what.endswith('scratch_seed0')
        if what.startswith('pretraining'):
            for i in (1, 2):
                open(osp.join(work, f'iter_{i}.pth'), 'w').close()
            # the study was paused for 0.2 s of this run (as --pause/--continue record it)
            t = time.time()
            with open(osp.join(study, 'pauses.json'), 'w') as f:
                json.dump([dict(start=t + 0.05, end=t + 0.25)], f)
            time.sleep(0.3)
            return 100.0
        open(osp.join(work, 'epoch_1.pth'), 'w').close()
        return {'training finetuned_lr_seed0': 50.0}.get(what, 20.0)

    monkeypatch.setattr(tool, 'run_tool', fake_run)
    monkeypatch.setattr(tool, 'evaluate_on_heldout', lambda *a: {'kitti/mAP_R40': 1.0})
    monkeypatch.setattr(tool, 'write_report', lambda *a, **k: open(
        osp.join(a[0], 'scaling.md'), 'w').close())
    tool.main([study] + TINY + ['--finetune', '--scratch'], world=WORLD)
    capsys.readouterr()
    assert runs == ['training random_seed0', 'training random_frame_diff_seed0',
                    'pretraining video=36 seed=0', 'training video36_seed0_iter1',
                    'training video36_seed0_iter2', 'training finetuned_lr_seed0',
                    'training scratch_seed0']
    cells = osp.join(study, 'cells')
    tuned = json.load(open(osp.join(cells, 'finetuned_lr_seed0', 'cell.json')))
    assert tuned['checkpoint'] == osp.join(study, 'pretrain', 'video36_seed0', 'iter_2.pth')
    assert (tuned['entry'], tuned['video'], tuned['iters']) == ('finetuned_lr', 36, 2)
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(cells, 'finetuned_lr_seed0', 'finetuned_lr_seed0.py'))
    assert cfg.model.backbone.frozen is False
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 0.1
    assert cfg.model.backbone.init_cfg.checkpoint == tuned['checkpoint']
    # (d): 100 s of pretraining less its 0.2 s paused + the fine-tuning's 50 s (longer than
    # the frozen 20 s)
    scratch = json.load(open(osp.join(cells, 'scratch_seed0', 'cell.json')))
    assert scratch['budget_minutes'] == pytest.approx(149.8 / 60, abs=1e-3)
    assert not osp.exists(osp.join(study, 'running.json'))  # the study has ended
    with pytest.raises(SystemExit, match='no study is running'):
        tool.main([study, '--pause'])
    spec = json.load(open(osp.join(study, 'study.json')))
    assert spec['finetune'] is True and spec['scratch'] is True
    # a cell cut short (no cell.json, a stale file) runs again alone, its stale files gone
    os.remove(osp.join(cells, 'random_frame_diff_seed0', 'cell.json'))
    stale = osp.join(cells, 'random_frame_diff_seed0', 'stale.txt')
    open(stale, 'w').close()
    runs.clear()
    tool.main([study] + TINY, world=WORLD)  # the switches are kept without the flags
    assert runs == ['training random_frame_diff_seed0'] and not osp.exists(stale)
    lines = [ln for ln in _lines(capsys) if '] cell ' in ln]
    assert [ln.split('] cell ')[1].split(':')[0] for ln in lines] == [
        '1/6 random_seed0', '2/6 random_frame_diff_seed0', '3/6 video36_seed0_iter1',
        '4/6 video36_seed0_iter2', '5/6 finetuned_lr_seed0', '6/6 scratch_seed0']
    assert ['finished before, kept' in ln for ln in lines] == [True, False, True, True, True,
                                                                True]
