"""Pausing a running study without corrupting its wall-clock figures.

A study's control (d) gets a wall-clock budget: the pretraining's time plus its detectors'.
Stopping the study's processes (to run the test suite on the same 2 cores, say) would add the
stopped time to whatever run was going, and so to (d)'s budget; killing a pretraining would
drop the time of the iterations it had finished. So a study pauses through these helpers:

* the running study writes ``running.json`` (its process group and the run going on now);
* ``pause(study_dir)`` stops that process group (SIGSTOP) and appends ``{'start': t}`` to
  ``pauses.json``; ``unpause(study_dir)`` continues it (SIGCONT) and closes the interval;
* the study subtracts :func:`paused_within` of a run's start and end from the run's seconds.

A time-budgeted run (entry (d)) measures its own budget inside the training process, which a
pause would cut short: pausing one is refused.
"""
import json
import os
import os.path as osp
import signal
import time
from typing import List, Optional

from crevdet.utils.json_file import write_json_atomic

RUNNING = 'running.json'
PAUSES = 'pauses.json'


class PauseError(RuntimeError):
    """A pause or continue that cannot be done (no running study, a budgeted run, ...)."""


def _pauses(study_dir: str) -> List[dict]:
    path = osp.join(study_dir, PAUSES)
    return json.load(open(path)) if osp.isfile(path) else []


def set_running(study_dir: str, what: Optional[str], budgeted: bool = False) -> None:
    """Record that the study's process group runs ``what`` now (None: between runs);
    ``budgeted``: the run measures a wall-clock budget of its own (cannot be paused)."""
    write_json_atomic(osp.join(study_dir, RUNNING),
                      dict(pgid=os.getpgid(0), pid=os.getpid(), what=what, budgeted=budgeted,
                           since=time.time()))


def clear_running(study_dir: str) -> None:
    path = osp.join(study_dir, RUNNING)
    if osp.isfile(path):
        os.remove(path)


def _running(study_dir: str) -> dict:
    path = osp.join(study_dir, RUNNING)
    if not osp.isfile(path):
        raise PauseError(f'{study_dir}: no study is running (no {RUNNING})')
    running = json.load(open(path))
    try:
        os.kill(running['pid'], 0)
    except ProcessLookupError:
        raise PauseError(f'{path}: the study process {running["pid"]} has ended; nothing to '
                         'pause or continue')
    return running


def pause(study_dir: str) -> dict:
    """Stop the running study's process group and open a pause interval. Refused while a
    budgeted run goes on, or while the study is already paused."""
    running = _running(study_dir)
    pauses = _pauses(study_dir)
    if pauses and pauses[-1].get('end') is None:
        raise PauseError(f'{study_dir} is already paused (since '
                         f'{time.strftime("%H:%M:%S", time.localtime(pauses[-1]["start"]))})')
    if running.get('budgeted'):
        raise PauseError(f'{study_dir} runs {running["what"]}, whose wall-clock budget is '
                         'measured inside its training: a pause would cut it short. Pause '
                         'after it')
    if running['pgid'] == os.getpgid(0):
        raise PauseError(f'{study_dir}: the study runs in the process group of this command, '
                         'which it would stop as well; start the study in a group of its own '
                         '(setsid, or a terminal job)')
    pauses.append(dict(start=time.time(), end=None, what=running['what']))
    write_json_atomic(osp.join(study_dir, PAUSES), pauses)
    os.killpg(running['pgid'], signal.SIGSTOP)
    return running


def unpause(study_dir: str) -> float:
    """Continue the paused study; returns the length of the pause in seconds."""
    running = _running(study_dir)
    pauses = _pauses(study_dir)
    if not pauses or pauses[-1].get('end') is not None:
        raise PauseError(f'{study_dir} is not paused')
    os.killpg(running['pgid'], signal.SIGCONT)
    pauses[-1]['end'] = time.time()
    write_json_atomic(osp.join(study_dir, PAUSES), pauses)
    return pauses[-1]['end'] - pauses[-1]['start']


def paused_within(study_dir: str, t0: float, t1: float) -> float:
    """Seconds of ``[t0, t1]`` the study spent paused (an open pause counts up to ``t1``)."""
    total = 0.0
    for p in _pauses(study_dir):
        end = t1 if p.get('end') is None else p['end']
        total += max(0.0, min(end, t1) - max(p['start'], t0))
    return total
