"""Pausing a study: the process group stops and continues, the paused time is left out of a
run's seconds, a budgeted run (control (d)) cannot be paused."""
import json
import os.path as osp
import subprocess
import time

import pytest

from crevdet.apis import study_pause as sp


def _state(pid: int) -> str:
    return open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[0]


@pytest.fixture
def child():
    proc = subprocess.Popen(['sleep', '60'], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def _running(study, proc, budgeted=False, what='training x'):
    with open(osp.join(study, sp.RUNNING), 'w') as f:
        json.dump(dict(pgid=proc.pid, pid=proc.pid, what=what, budgeted=budgeted), f)


@pytest.mark.skipif(not osp.isdir('/proc/self'), reason='reads process states from /proc')
def test_pause_stops_and_continue_resumes_the_process_group(tmp_path, child):
    study = str(tmp_path)
    _running(study, child)
    t0 = time.time()
    sp.pause(study)
    time.sleep(0.2)
    assert _state(child.pid) == 'T'
    with pytest.raises(sp.PauseError, match='already paused'):
        sp.pause(study)
    assert sp.paused_within(study, t0, time.time()) >= 0.2  # an open pause counts
    length = sp.unpause(study)
    time.sleep(0.1)
    assert _state(child.pid) in 'SR' and length >= 0.2
    with pytest.raises(sp.PauseError, match='is not paused'):
        sp.unpause(study)
    pauses = json.load(open(osp.join(study, sp.PAUSES)))
    assert len(pauses) == 1 and pauses[0]['what'] == 'training x'


def test_paused_within_counts_only_the_overlap(tmp_path):
    study = str(tmp_path)
    with open(osp.join(study, sp.PAUSES), 'w') as f:
        json.dump([dict(start=10.0, end=20.0), dict(start=30.0, end=35.0),
                   dict(start=50.0, end=None)], f)
    assert sp.paused_within(study, 0, 100) == pytest.approx(10 + 5 + 50)
    assert sp.paused_within(study, 15, 32) == pytest.approx(5 + 2)
    assert sp.paused_within(study, 21, 29) == 0
    assert sp.paused_within(str(tmp_path / 'none'), 0, 100) == 0


def test_a_budgeted_run_or_no_run_cannot_be_paused(tmp_path, child):
    study = str(tmp_path)
    with pytest.raises(sp.PauseError, match='no study is running'):
        sp.pause(study)
    _running(study, child, budgeted=True, what='training scratch_seed0')
    with pytest.raises(sp.PauseError, match='runs training scratch_seed0, whose wall-clock '
                                            'budget is measured inside its training'):
        sp.pause(study)
    assert _state(child.pid) in 'SR' and not osp.exists(osp.join(study, sp.PAUSES))
    child.kill()
    child.wait()
    with pytest.raises(sp.PauseError, match='has ended'):
        sp.pause(study)


def test_set_running_records_this_process_group(tmp_path):
    sp.set_running(str(tmp_path), 'pretraining video=36 seed=0', budgeted=False)
    with pytest.raises(sp.PauseError, match='process group of this command'):
        sp.pause(str(tmp_path))  # it would stop the test itself
    running = json.load(open(osp.join(str(tmp_path), sp.RUNNING)))
    assert running['what'] == 'pretraining video=36 seed=0' and running['budgeted'] is False
    import os
    assert running['pgid'] == os.getpgid(0) and running['pid'] == os.getpid()
    sp.clear_running(str(tmp_path))
    assert not osp.exists(osp.join(str(tmp_path), sp.RUNNING))
