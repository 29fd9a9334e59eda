"""--resume after a crash at any moment of a save (issue 32): checkpoints are written atomically,
the checkpoint to resume is found by scanning the work dir (``last_checkpoint`` may be stale or
name another folder's file), and nothing outside the work dir is ever renamed or moved."""
import glob
import os
import os.path as osp

import torch

from conftest import KILL_TEST_OPTS, logged_losses, run_tool, tiny_pretrain_with_hook
from conftest import TINY_PRETRAIN as TINY

import crevdet.cli.train as train_tool  # what tools/train.py runs


def _cfg(argv):
    return train_tool.build_cfg(train_tool.parse_args(argv))


def _ckpt(path, n=1):
    # a training checkpoint: weights and training state, as tools/train.py saves it
    torch.save({'state_dict': {'w': torch.ones(n)}, 'meta': {'iter': 2}, 'message_hub': {}},
               path)
    return path


def _cut(path):
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:len(data) // 2])


def test_resume_never_touches_a_broken_file_that_last_checkpoint_names_elsewhere(tmp_path,
                                                                                 capsys):
    """A copied work dir: its last_checkpoint still names the original folder's iter_4.pth,
    which is broken there. --resume neither trusts it nor renames it (it is not this run's)."""
    other, work = tmp_path / 'original', tmp_path / 'copy'
    os.makedirs(other)
    os.makedirs(work)
    theirs = _ckpt(str(other / 'iter_4.pth'), 1000)
    _cut(theirs)
    before = open(theirs, 'rb').read()
    good = _ckpt(str(work / 'iter_2.pth'))
    (work / 'last_checkpoint').write_text(theirs)
    cfg = _cfg([TINY, '--work-dir', str(work), '--resume'])
    assert cfg.load_from == good
    assert open(theirs, 'rb').read() == before and not osp.exists(theirs + '.unreadable')
    out = capsys.readouterr().out
    assert f'last_checkpoint names {theirs}, outside {work}' in out and 'ignored' in out


def test_resume_takes_a_complete_newer_checkpoint_that_last_checkpoint_does_not_name_yet(
        tmp_path):
    """Killed after iter_4.pth was renamed into place, before last_checkpoint was updated."""
    _ckpt(str(tmp_path / 'iter_2.pth'))
    newest = _ckpt(str(tmp_path / 'iter_4.pth'))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    assert _cfg([TINY, '--work-dir', str(tmp_path), '--resume']).load_from == newest


def test_partial_save_is_reported_and_kept_never_used(tmp_path, capsys):
    good = _ckpt(str(tmp_path / 'iter_2.pth'))
    partial = str(tmp_path / '.iter_4.pth.saving-4242')
    _cut(_ckpt(partial, 1000))
    assert _cfg([TINY, '--work-dir', str(tmp_path), '--resume']).load_from == good
    assert '.iter_4.pth.saving-4242 is left from a save that never completed' in \
        capsys.readouterr().out
    assert osp.isfile(partial)
    # a second crash's unreadable file never replaces the first one's
    _cut(_ckpt(str(tmp_path / 'iter_6.pth'), 1000))
    open(tmp_path / 'iter_6.pth.unreadable', 'w').write('earlier')
    _cfg([TINY, '--work-dir', str(tmp_path), '--resume'])
    assert open(tmp_path / 'iter_6.pth.unreadable').read() == 'earlier'
    assert osp.isfile(tmp_path / 'iter_6.pth.unreadable-1')


def test_resume_from_a_path_sets_aside_only_unreadable_later_checkpoints(tmp_path, capsys):
    good = _ckpt(str(tmp_path / 'iter_2.pth'))
    _cut(_ckpt(str(tmp_path / 'iter_4.pth'), 1000))
    assert _cfg([TINY, '--work-dir', str(tmp_path), '--resume', good]).load_from == good
    assert osp.isfile(tmp_path / 'iter_4.pth.unreadable')
    assert 'skips' in capsys.readouterr().out


def test_sigkill_during_a_save_then_resume_gives_the_uninterrupted_losses(kitti_raw, tmp_path):
    """The process dies with half of iter_4.pth written. The atomic save leaves only its temp
    file (iter_4.pth itself never exists half-written); an older writer's cut-off iter_4.pth is
    emulated too. --resume continues from iter_2.pth with the uninterrupted run's losses."""
    cfg = tiny_pretrain_with_hook(tmp_path / 'killed.py', 'kill_during_save_hook',
                                  "dict(type='KillDuringSaveHook', at_iter=4)")
    env = dict(CREVDET_TEST_DATA=kitti_raw)
    opts = KILL_TEST_OPTS
    full, killed = str(tmp_path / 'full'), str(tmp_path / 'killed')
    proc = run_tool(['tools/train.py', TINY, '--work-dir', full] + opts + ['custom_hooks=[]'], env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = run_tool(['tools/train.py', str(cfg), '--work-dir', killed] + opts, env)
    assert proc.returncode == -9, proc.stderr[-3000:]
    partial = glob.glob(osp.join(killed, '.iter_4.pth.saving-*'))
    assert len(partial) == 1 and not osp.exists(osp.join(killed, 'iter_4.pth'))
    assert open(osp.join(killed, 'last_checkpoint')).read().endswith('iter_2.pth')
    with open(partial[0], 'rb') as f:  # what a non-atomic writer would have left
        open(osp.join(killed, 'iter_4.pth'), 'wb').write(f.read())
    proc = run_tool(['tools/train.py', TINY, '--work-dir', killed, '--resume'] + opts +
                    ['custom_hooks=[]'], env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert 'iter_4.pth: it is truncated or corrupt' in out and 'iter_2.pth' in out
    a, b = logged_losses(full), logged_losses(killed)
    assert sorted(a) == [1, 2, 3, 4, 5] and {3, 4, 5} <= set(b)
    assert [a[i] for i in (3, 4, 5)] == [b[i] for i in (3, 4, 5)]
    # the resumed run wrote its own complete iter_4.pth; the cut-off one is kept aside
    from crevdet.checkpoint import load_local_checkpoint
    assert load_local_checkpoint(osp.join(killed, 'iter_4.pth'))['meta']['iter'] == 4
    assert osp.isfile(osp.join(killed, 'iter_4.pth.unreadable'))
    assert not glob.glob(osp.join(full, '.*.saving-*'))  # a normal run leaves no temp file
