"""The runner is a registry type that configs choose by ``runner_type``."""
import os.path as osp

from mmengine.config import Config

from conftest import ROOT


def test_runner_is_registered_and_chosen_by_runner_type(tmp_path):
    from crevdet.engine import CrevdetRunner, build_runner
    from crevdet.registry import RUNNERS
    assert RUNNERS.get('CrevdetRunner') is CrevdetRunner
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'pretrain_mmnist.py'))
    assert cfg.runner_type == 'CrevdetRunner'  # from configs/_base_/default_runtime.py
    cfg.model.update(autoencoder=dict(blocks=(1, 1, 1)),
                     predictor=dict(num_layers=2, hidden_channels=8))
    cfg.work_dir = str(tmp_path / 'run')
    cfg.train_dataloader = cfg.val_dataloader = cfg.test_dataloader = None
    cfg.train_cfg = cfg.val_cfg = cfg.test_cfg = cfg.val_evaluator = cfg.test_evaluator = None
    cfg.optim_wrapper = cfg.param_scheduler = None
    cfg.custom_hooks = []
    assert type(build_runner(cfg)) is CrevdetRunner
    cfg = Config({k: v for k, v in cfg.to_dict().items() if k != 'runner_type'})
    cfg.work_dir = str(tmp_path / 'run2')
    assert type(build_runner(cfg)) is CrevdetRunner  # the default when a config names none
