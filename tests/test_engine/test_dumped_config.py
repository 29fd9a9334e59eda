"""Models read no files: a detector config names its pretraining config by path, the runner puts
that model in the backbone's place when it loads the config, and the config it dumps into the
run folder builds the same model on a machine without crevdet's ``configs/`` folder."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import crevdet.paths
import crevdet.pretrain_configs
from conftest import ROOT
from crevdet.engine import build_runner
from crevdet.registry import MODELS

SSD = osp.join(ROOT, 'tests', 'configs', 'tiny_scaling_ssd.py')


def test_the_dumped_detector_config_builds_the_same_model_without_configs(tmp_path, monkeypatch):
    cfg = Config.fromfile(SSD)
    assert cfg.model.backbone.model == 'tests/configs/tiny_scaling_pretrain.py'
    cfg.work_dir = str(tmp_path / 'run')
    cfg.model.backbone.init_cfg = None
    cfg.launcher = 'none'
    monkeypatch.chdir(ROOT)  # the path is relative to the repository, as the tools run it
    torch.manual_seed(0)
    runner = build_runner(cfg)
    dumped = osp.join(runner.work_dir, osp.basename(SSD))
    text = open(dumped).read()
    assert 'tiny_scaling_pretrain' not in text  # the architecture itself, not its file
    # a machine with the dumped config and crevdet, but no configs/ folder and no tests/
    bare = tmp_path / 'bare'
    bare.mkdir()
    monkeypatch.chdir(bare)
    monkeypatch.setattr(crevdet.pretrain_configs, 'REPO_ROOT', str(bare))
    monkeypatch.setattr(crevdet.paths, 'CONFIG_ROOT', str(bare / 'configs'))
    again = Config.fromfile(dumped)
    assert isinstance(again.model.backbone.model, dict)
    torch.manual_seed(0)
    model = MODELS.build(again.model)
    want = runner.model.state_dict()
    got = model.state_dict()
    assert list(got) == list(want)
    assert all(got[k].shape == want[k].shape for k in want)
    assert model.backbone.model_cfg == runner.model.backbone.model_cfg
    # the same path, unexpanded, on that machine: the error names the key and the file
    with pytest.raises(FileNotFoundError, match=r"model\.backbone\.model: pretraining config "
                       r"'tests/configs/tiny_scaling_pretrain\.py' not found"):
        build_runner(_unexpanded(cfg))


def _unexpanded(cfg: Config) -> Config:
    out = cfg.copy()
    out.model.backbone.model = 'tests/configs/tiny_scaling_pretrain.py'
    return out
