"""No checkpoint runs code (issue 32): a malicious pickle and a ``type='os.system'`` model config
stored in a checkpoint go through every entry point that reads a checkpoint; the marker file
that running them would create never appears, and the error names the file.

Entry points: tools/test.py, tools/predict.py, tools/detect_video.py, a backbone's
``init_cfg=dict(type='Pretrained')`` and ``pretrained=`` (read when the config is expanded),
``load_from``, ``--resume`` (auto, with
a path, ``--cfg-options resume=True``), publish_model.py, and what the analysis tools call
(mmengine's ``_load_checkpoint`` / ``load_checkpoint`` through crevdet's loader, and
``model_from_checkpoint``).
"""
import os
import os.path as osp
import pickle
import types

import cv2
import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from conftest import TINY_CREVNET, TINY_SSD, load_tool
from conftest import TINY_PRETRAIN as TINY
from crevdet.checkpoint import expand_pretrain_configs

import crevdet.cli.train as train_tool  # what tools/train.py runs
import crevdet.cli.test as test_tool  # what tools/test.py runs
predict_tool = load_tool('tools/predict.py')
detect_tool = load_tool('tools/detect_video.py')
publish_tool = load_tool('tools/model_converters/publish_model.py')


class _RunsCode:
    """Unpickling it calls ``eval``, which creates the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return eval, (f'open({self.marker!r}, "w").close()', )


class _SneakyGetattr:
    """Goes through the one getattr the resume allowlist maps, asking for something else."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__subclasses__')


def _tiny_crevnet_state():
    from crevdet.models import CrevNet
    return CrevNet(**TINY_CREVNET).state_dict()


def _evil(tmp_path, kind):
    """``(path, marker)``: a checkpoint file of ``kind``."""
    marker = str(tmp_path / f'MARKER_{kind}')
    path = str(tmp_path / f'{kind}.pth')
    if kind == 'pickle_in_torch_zip':  # what torch.save writes, with a payload inside
        torch.save({'state_dict': _tiny_crevnet_state(), 'x': _RunsCode(marker)}, path)
    elif kind == 'plain_pickle':
        with open(path, 'wb') as f:
            pickle.dump({'state_dict': {}, 'x': _RunsCode(marker)}, f)
    elif kind == 'sneaky_getattr':
        torch.save({'state_dict': _tiny_crevnet_state(), 'x': _SneakyGetattr()}, path)
    return path, marker


PICKLES = ['pickle_in_torch_zip', 'plain_pickle', 'sneaky_getattr']
# the part of each kind's error that names what is wrong
WHY = {'pickle_in_torch_zip': r'holds objects other than tensors.*GLOBAL eval',
       'plain_pickle': r'plain pickle file, not a checkpoint written by torch\.save',
       'sneaky_getattr': r"getattr\(HistoryBuffer, '__subclasses__'\) is not allowed"}


def _frames(folder, n=5, size=(94, 310)):
    os.makedirs(folder)
    for i in range(n):
        cv2.imwrite(osp.join(folder, f'{i:06d}.png'), np.full(size + (3, ), 40 * i, np.uint8))
    return str(folder)


def _runner_stub(model, cfg_name=TINY_SSD):
    class Cfg(dict):
        filename = cfg_name
    return types.SimpleNamespace(model=model, cfg=Cfg(load_strict=True),
                                 call_hook=lambda *a, **k: None,
                                 logger=types.SimpleNamespace(info=lambda *a: None))


@pytest.mark.parametrize('kind', PICKLES)
def test_malicious_pickle_through_every_entry_point(tmp_path, kind):
    from mmengine.runner import load_checkpoint
    from mmengine.runner.checkpoint import _load_checkpoint

    from crevdet.engine import CrevdetRunner
    from crevdet.checkpoint.files import CheckpointFileError
    from crevdet.models import CrevNet, CrevNetBackbone
    from crevdet.checkpoint.stored_config import model_from_checkpoint
    evil, marker = _evil(tmp_path, kind)
    name, why = osp.basename(evil), WHY[kind]
    frames = _frames(tmp_path / 'frames')

    def refused(call, exc=SystemExit):
        with pytest.raises(exc, match=rf'{name}.*{why}|{why}.*{name}') as e:
            call()
        assert not osp.exists(marker), f'{call}: code ran'
        return str(e.value)

    # the tools
    refused(lambda: test_tool.main([TINY_SSD, evil, '--work-dir', str(tmp_path / 'test')]))
    with pytest.raises(SystemExit, match=r'resume=True: tools/test.py evaluates the weights'):
        test_tool.main([TINY_SSD, evil, '--work-dir', str(tmp_path / 'test'),
                        '--cfg-options', 'resume=True'])
    assert not osp.exists(marker)
    refused(lambda: predict_tool.main([evil, frames, '--out-dir', str(tmp_path / 'p')]))
    refused(lambda: detect_tool.main([TINY_SSD, evil, frames, '--out-dir', str(tmp_path / 'd')]))
    refused(lambda: publish_tool.main([evil, str(tmp_path / 'published.pth')]))
    assert not osp.exists(tmp_path / 'published.pth')
    # load_from, resume with a path, and resume=True / load_from given as config options
    new = str(tmp_path / 'new_run')
    refused(lambda: train_tool.build_cfg(train_tool.parse_args(
        [TINY, '--work-dir', new, '--cfg-options', f'load_from={evil}'])))
    refused(lambda: train_tool.build_cfg(train_tool.parse_args(
        [TINY, '--work-dir', new, '--resume', evil])))
    refused(lambda: train_tool.build_cfg(train_tool.parse_args(
        [TINY, '--work-dir', new, '--cfg-options', 'resume=True', f'load_from={evil}'])))
    # library paths: the runner's load (load_from, tools/test.py and Runner.resume use it),
    # mmengine's loaders as the analysis tools call them, the backbone's two ways
    net = CrevNet(**TINY_CREVNET)
    for call in (lambda: CrevdetRunner.load_checkpoint(_runner_stub(net), evil),
                 lambda: _load_checkpoint(evil, map_location='cpu'),
                 lambda: load_checkpoint(net, evil, map_location='cpu'),
                 lambda: model_from_checkpoint(evil),
                 lambda: CrevNetBackbone(model=TINY_CREVNET, init_cfg=dict(
                     type='Pretrained', checkpoint=evil)).init_weights(),
                 lambda: expand_pretrain_configs(dict(model=dict(type='CrevNetBackbone',
                                                                 pretrained=evil)))):
        refused(call, CheckpointFileError)


@pytest.mark.parametrize('kind', PICKLES)
def test_malicious_newest_checkpoint_in_a_work_dir_never_runs_on_resume(tmp_path, kind, capsys):
    """--resume (auto) with a dropped-in newest iter_4.pth: refused with its name (a torch zip),
    or, when it is no torch.save file at all, skipped as unreadable (renamed inside the work
    dir, reported) and the run resumes from iter_2.pth. Never unpickled in full."""
    work = tmp_path / 'work'
    os.makedirs(work)
    good = str(work / 'iter_2.pth')
    torch.save({'state_dict': _tiny_crevnet_state(), 'meta': {'iter': 2}, 'message_hub': {}},
               good)
    evil, marker = _evil(tmp_path, kind)
    os.replace(evil, work / 'iter_4.pth')
    (work / 'last_checkpoint').write_text(str(work / 'iter_4.pth'))
    argv = [TINY, '--work-dir', str(work), '--resume']
    if kind == 'plain_pickle':
        cfg = train_tool.build_cfg(train_tool.parse_args(argv))
        assert cfg.load_from == good
        assert 'iter_4.pth: it is a plain pickle file' in capsys.readouterr().out
    else:
        with pytest.raises(SystemExit, match=rf'--resume: .*iter_4\.pth.*{WHY[kind]}'):
            train_tool.build_cfg(train_tool.parse_args(argv))
    assert not osp.exists(marker)


def _cfg_checkpoint(tmp_path, model_text, state=None, name='cfg.pth'):
    """A checkpoint that loads cleanly weights-only, whose ``meta['cfg']`` holds ``model_text``."""
    path = str(tmp_path / name)
    text = (f'{model_text}\n'
            'test_dataloader = dict(dataset=dict(frame_size=(32, 48)))\n')
    torch.save({'state_dict': _tiny_crevnet_state() if state is None else state,
                'meta': {'cfg': text, 'iter': 2}}, path)
    return path


def test_os_system_in_a_checkpoint_config_is_never_built(tmp_path):
    from crevdet.models import CrevNetBackbone
    from crevdet.checkpoint.stored_config import model_from_checkpoint
    from crevdet.checkpoint.registered_types import UnregisteredTypeError
    from crevdet.checkpoint.weights import WeightMismatchError
    marker = str(tmp_path / 'MARKER')
    frames = _frames(tmp_path / 'frames')
    top = _cfg_checkpoint(tmp_path, f"model = dict(type='os.system', command='touch {marker}')",
                          name='top.pth')
    nested = _cfg_checkpoint(tmp_path, "model = dict(type='CrevNet', in_channels=3, predictor="
                             f"dict(type='subprocess.call', args=['touch', '{marker}']))",
                             name='nested.pth')
    for path, where in ((top, r"model\.type='os\.system'"),
                        (nested, r"model\.predictor\.type='subprocess\.call'")):
        name = osp.basename(path)
        with pytest.raises(SystemExit, match=rf'{name}: {where} is not a type registered'):
            predict_tool.main([path, frames, '--out-dir', str(tmp_path / 'p')])
        with pytest.raises(UnregisteredTypeError, match=rf'{name}: {where}'):
            model_from_checkpoint(path)  # the analysis tools' (background_level) path
        with pytest.raises(UnregisteredTypeError, match=rf'{name}: {where}'):
            expand_pretrain_configs(dict(model=dict(type='CrevNetBackbone', pretrained=path)))
        # publish_model copies the config text as it is, builds nothing
        publish_tool.main([path, str(tmp_path / f'pub_{name}')])
        assert not osp.exists(marker)
    # init_cfg only compares the stored config with the backbone's own (a difference is an
    # error; keys only one side sets are not compared): nothing is built from it
    with pytest.raises(WeightMismatchError, match=r"top\.pth was trained with another model.*"
                                                  r"model\.type: checkpoint 'os\.system'"):
        CrevNetBackbone(model=TINY_CREVNET, init_cfg=dict(type='Pretrained', checkpoint=top)
                        ).init_weights()
    CrevNetBackbone(model=TINY_CREVNET, init_cfg=dict(type='Pretrained', checkpoint=nested)
                    ).init_weights()
    assert not osp.exists(marker)


def test_os_system_config_never_reaches_tools_that_load_weights_into_your_config(tmp_path,
                                                                                   monkeypatch):
    """tools/test.py, detect_video.py, load_from and resume load a checkpoint's *weights* into
    the model of the user's config: its stored config is never built. Run them for real with a
    detector checkpoint whose meta['cfg'] says os.system."""
    from mmengine.config import Config

    from crevdet.datasets.synthetic_kitti import make_synthetic_kitti
    from crevdet.engine import CrevdetRunner
    from crevdet.registry import MODELS
    marker = str(tmp_path / 'MARKER')
    det = MODELS.build(Config.fromfile(TINY_SSD).model)
    det.init_weights()  # as the Runner does: mmdet's SSDNeck L2Norm weight is empty memory
    ckpt = _cfg_checkpoint(tmp_path, f"model = dict(type='os.system', command='touch {marker}')",
                           state=det.state_dict(), name='epoch_1.pth')
    data = make_synthetic_kitti(str(tmp_path / 'k'), seed=1, size=(94, 310), raw_drives=1,
                                raw_frames=5, det_train=1, det_val=2)
    monkeypatch.setenv('CREVDET_TEST_DATA', data['object'] + '/')
    test_tool.main([TINY_SSD, ckpt, '--work-dir', str(tmp_path / 'test')])
    frames = osp.join(data['raw'], '2011_09_26', '2011_09_26_drive_0005_sync', 'image_02', 'data')
    detect_tool.main([TINY_SSD, ckpt, frames, '--out-dir', str(tmp_path / 'det'), '--device',
                      'cpu'])
    assert osp.isfile(tmp_path / 'det' / 'summary.json')
    CrevdetRunner.load_checkpoint(_runner_stub(det), ckpt)  # load_from and Runner.resume's load
    assert not osp.exists(marker)


def test_a_checkpoint_never_makes_crevdet_open_a_config_file_it_names(tmp_path, capsys):
    """A detector checkpoint whose stored backbone config names a .py file outside crevdet's
    configs/: the architecture check of init_cfg(prefix='backbone.') used to run
    Config.fromfile on it (executing it). Now the file is not opened; the check says so."""
    from crevdet.models import CrevNet, CrevNetBackbone
    from crevdet.checkpoint.stored_config import checkpoint_model
    marker = str(tmp_path / 'MARKER')
    evil_cfg = tmp_path / 'evil_config.py'
    evil_cfg.write_text(f'open({marker!r}, "w").close()\nmodel = dict(type="CrevNet")\n')
    net = CrevNet(**TINY_CREVNET)
    state = {f'backbone.net.{k}': v for k, v in net.state_dict().items()}
    path = _cfg_checkpoint(tmp_path, "model = dict(type='SingleStageDetector', backbone=dict("
                           f"type='CrevNetBackbone', model='{evil_cfg}', "
                           "pretrained='/elsewhere/other.pth'))", state=state, name='det.pth')
    stored = checkpoint_model(torch.load(path), 'det.pth')
    assert stored['backbone']['model'] is None and 'pretrained' not in stored['backbone']
    bb = CrevNetBackbone(model=TINY_CREVNET, init_cfg=dict(type='Pretrained', checkpoint=path,
                                                           prefix='backbone.'))
    bb.init_weights()  # the weights fit; the comparison is skipped for the unopened file
    assert all(torch.equal(bb.net.state_dict()[k], v) for k, v in net.state_dict().items())
    assert not osp.exists(marker)
    # a config shipped with crevdet (configs/...) is still read for the comparison
    shipped = _cfg_checkpoint(tmp_path, "model = dict(type='SingleStageDetector', backbone=dict("
                              "type='CrevNetBackbone', model='configs/pretrain_kitti.py'))",
                              state=state, name='shipped.pth')
    model = checkpoint_model(torch.load(shipped), 'shipped.pth')['backbone']['model']
    assert isinstance(model, dict) and model.get('type')


def test_plain_mmengine_training_state_resumes_weights_only(tmp_path):
    """What plain mmengine's runner saves (HistoryBuffers pickled through getattr, numpy
    scalars, Counter milestones) loads with the allowlist: nothing needs a full unpickle."""
    from mmengine.logging import MessageHub

    from crevdet.checkpoint import load_local_checkpoint
    hub = MessageHub.get_instance('crevdet-test-plain-mmengine')
    for v in (0.5, 0.25):
        hub.update_scalar('train/loss', v)
    hub.update_info('eta', np.float64(12.5))
    import collections
    path = str(tmp_path / 'iter_2.pth')
    torch.save({'meta': {'iter': 2, 'seed': 3}, 'state_dict': {'w': torch.ones(2)},
                'message_hub': hub.state_dict(),
                'optimizer': {'state': {0: {'step': torch.tensor(2.0)}},
                              'param_groups': [{'lr': 0.1, 'betas': (0.9, 0.99), 'params': [0]}]},
                'param_schedulers': [{'milestones': collections.Counter({1: 1}), 'gamma': 0.1}]},
               path)
    ckpt = load_local_checkpoint(path)
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert type(buf) is HistoryBuffer and buf.current() == 0.25 and buf.mean() == 0.375
    assert ckpt['message_hub']['runtime_info']['eta'] == 12.5
    assert ckpt['param_schedulers'][0]['milestones'] == collections.Counter({1: 1})
