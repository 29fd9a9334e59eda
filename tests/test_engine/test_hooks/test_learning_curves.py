"""The learning-curve tool and hook: fixed test clips, the untrained start as the first point,
evaluation time excluded from the training clock, resumed curves kept."""
import argparse
import contextlib
import csv
import glob
import io
import json
import os.path as osp

import numpy as np
import pytest

from conftest import ROOT, fake_digits, load_tool, run_tool, tiny_configs, write_idx


@pytest.fixture(scope='module')
def digits_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('mnist')
    digits = fake_digits(10000)
    write_idx(str(root / 't10k-images-idx3-ubyte.gz'), digits)
    return root


def test_learning_curves_tool_writes_csv_png_and_table(tmp_path, digits_root):
    configs = tiny_configs(tmp_path)
    out = run_tool(['tools/analysis_tools/learning_curves.py', *configs, '--labels', 'stacked',
                    'crevnet', '--data-root', str(digits_root), '--iters', '2', '--points', '3',
                    '--batch', '2', '--test-clips', '3', '--n-past', '3', '--n-future', '2',
                    '--work-dir', str(tmp_path / 'lc')])
    assert out.returncode == 0, out.stderr[-3000:]
    (run_dir,) = glob.glob(str(tmp_path / 'lc' / '*'))
    with open(osp.join(run_dir, 'curves.csv')) as f:
        rows = list(csv.DictReader(f))
    assert [(r['model'], int(r['iter'])) for r in rows] == [
        ('stacked', 0), ('stacked', 1), ('stacked', 2), ('crevnet', 0), ('crevnet', 1),
        ('crevnet', 2)]
    for r in rows:  # one fixed test set for every model and point
        assert r['copy_last/mse'] == rows[0]['copy_last/mse']
    start = rows[3]  # the untrained CrevNet is the copy-last-frame baseline
    assert float(start['mse']) == pytest.approx(float(start['copy_last/mse']), rel=1e-5)
    assert float(start['ssim']) == pytest.approx(float(start['copy_last/ssim']), rel=1e-5)
    assert float(rows[0]['mse']) != pytest.approx(float(rows[0]['copy_last/mse']), rel=1e-3)
    from PIL import Image
    assert Image.open(osp.join(run_dir, 'curves.png')).size[0] > 1000
    md = open(osp.join(run_dir, 'curves.md')).read()
    assert '| model | iterations | train min | MSE / frame | SSIM | PSNR |' in md
    assert '| crevnet | 2 |' in md and '| copy last frame |' in md
    assert json.load(open(osp.join(run_dir, 'curves.json')))['budget'] == '2 iterations'
    # the last point's prediction grid
    assert glob.glob(osp.join(run_dir, 'crevnet', 'vis_benchmark', 'test_curve_iter2.png'))


def test_learning_curves_tool_errors(tmp_path, digits_root):
    configs = tiny_configs(tmp_path)
    out = run_tool(['tools/analysis_tools/learning_curves.py', configs[0], '--iters', '2',
                    '--data', 'nope'])
    assert out.returncode and "--data 'nope' is neither a preset" in out.stderr
    out = run_tool(['tools/analysis_tools/learning_curves.py', *configs, '--iters', '2',
                    '--labels', 'a', '--data-root', str(digits_root)])
    assert out.returncode and '--labels needs one distinct name per config (2)' in out.stderr
    out = run_tool(['tools/analysis_tools/learning_curves.py', configs[0], '--iters', '2',
                    '--points', '1'])
    assert out.returncode and '--points must be >= 2' in out.stderr
    out = run_tool(['tools/analysis_tools/learning_curves.py', configs[0], '--iters', '2',
                    '--samples', '0'])
    assert out.returncode and '--samples must be >= 1' in out.stderr
    bad = tmp_path / 'data.py'
    bad.write_text("train_dataloader = dict()\n")
    out = run_tool(['tools/analysis_tools/learning_curves.py', configs[0], '--iters', '2',
                    '--data', str(bad)])
    assert out.returncode and 'lacks test_dataloader, protocol' in out.stderr


class _Hub:
    def __init__(self):
        self.info = {}

    def get_info(self, key, default=None):
        return self.info.get(key, default)

    def update_info(self, key, value):
        self.info[key] = value


def test_time_budget_excludes_evaluation_time(monkeypatch):
    from types import SimpleNamespace

    from crevdet.engine.hooks import TrainTimeBudgetHook
    from crevdet.engine.hooks import time_budget_hook as tbh
    clock = [100.0]
    monkeypatch.setattr(tbh.time, 'perf_counter', lambda: clock[0])
    runner = SimpleNamespace(message_hub=_Hub(), iter=0, logger=SimpleNamespace(info=print),
                             train_loop=SimpleNamespace(stop_training=False))
    hook = TrainTimeBudgetHook(minutes=1, save_last=False)
    hook.before_train(runner)
    clock[0] += 50  # 50 s of training ...
    runner.message_hub.update_info('eval_seconds', 30.0)
    clock[0] += 30  # ... plus a 30 s evaluation: 80 s wall clock, 50 s of training
    hook.after_train_iter(runner, 0)
    assert not runner.train_loop.stop_training
    clock[0] += 11
    hook.after_train_iter(runner, 1)
    assert runner.train_loop.stop_training


def test_resumed_run_keeps_its_learning_curve(tmp_path, digits_root):
    """A second run with --resume continues learning_curve.csv instead of overwriting it."""
    cfg = tmp_path / 'curve.py'
    crev = osp.join(ROOT, 'configs', 'baselines', 'crevnet_2d_mmnist.py')
    data = str(digits_root / 't10k-images-idx3-ubyte.gz')
    test = (f"dict(type='MovingMNISTDataset', mnist_file='{data}', digit_range=(8000, 10000), "
            "num_digits=2, seq_len=5, test_mode=True, num_sequences=2, seed=0)")
    cfg.write_text(
        f"_base_ = '{crev}'\n"
        "model = dict(n_past=3, n_future=2, autoencoder=dict(blocks=(1, 1, 1)), "
        "predictor=dict(num_layers=2, hidden_channels=4))\n"
        f"train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, "
        f"dataset=dict(mnist_file='{data}', digit_range=(0, 8000), seq_len=5))\n"
        "val_dataloader = None\nval_cfg = None\nval_evaluator = None\n"
        "train_cfg = dict(max_iters=2, val_interval=100)\n"
        "default_hooks = dict(checkpoint=dict(interval=2))\n"
        f"custom_hooks = [dict(type='LearningCurveHook', interval=1, max_clips=None, "
        f"batch_size=2, datasets=[dict(name='test', dataset={test})])]\n")
    wd = str(tmp_path / 'wd')
    out = run_tool(['tools/train.py', str(cfg), '--work-dir', wd])
    assert out.returncode == 0, out.stderr[-3000:]
    out = run_tool(['tools/train.py', str(cfg), '--work-dir', wd, '--resume',
                    osp.join(wd, 'iter_2.pth'), '--cfg-options', 'train_cfg.max_iters=4'])
    assert out.returncode == 0, out.stderr[-3000:]
    with open(osp.join(wd, 'learning_curve.csv')) as f:
        rows = list(csv.DictReader(f))
    assert [int(r['iter']) for r in rows] == [0, 1, 2, 3, 4]
    minutes = [float(r['train_minutes']) for r in rows]
    assert minutes == sorted(minutes)  # the clock continued


def _fake_run(path, models, copy_mse=289.8, budget='20 min'):
    rows = [dict(model=m, iter=i * 10, train_minutes=i * 2.5, mse=300 - 10 * i - k, ssim=0.5,
                 psnr=15.0, **{'copy_last/mse': copy_mse, 'copy_last/ssim': 0.588,
                               'copy_last/psnr': 14.0})
            for k, m in enumerate(models) for i in range(3)]
    path.mkdir()
    (path / 'curves.json').write_text(json.dumps(dict(
        data='mmnist', budget=budget, header='**mmnist** 10 -> 10', rows=rows)))
    return str(path)


def test_merge_puts_parallel_runs_in_one_plot(tmp_path):
    a = _fake_run(tmp_path / 'a', ['seq2seq', 'predrnn'])
    b = _fake_run(tmp_path / 'b', ['crevnet'])
    out = run_tool(['tools/analysis_tools/learning_curves.py', '--merge', a, b,
                    '--work-dir', str(tmp_path / 'merged')])
    assert out.returncode == 0, out.stderr[-3000:]
    (run_dir,) = glob.glob(str(tmp_path / 'merged' / '*_merged'))
    with open(osp.join(run_dir, 'curves.csv')) as f:
        rows = list(csv.DictReader(f))
    assert [r['model'] for r in rows] == ['seq2seq'] * 3 + ['predrnn'] * 3 + ['crevnet'] * 3
    md = open(osp.join(run_dir, 'curves.md')).read()
    assert '| crevnet | 20 | 5.0 | 280.00 |' in md and '| predrnn | 20 | 5.0 | 279.00 |' in md
    assert osp.isfile(osp.join(run_dir, 'curves.png'))
    assert json.load(open(osp.join(run_dir, 'curves.json')))['merged'] == [
        osp.join(a, 'curves.json'), osp.join(b, 'curves.json')]


def test_merge_refuses_runs_that_are_not_comparable(tmp_path):
    a = _fake_run(tmp_path / 'a', ['seq2seq'])
    other_clips = _fake_run(tmp_path / 'b', ['crevnet'], copy_mse=250.0)
    other_budget = _fake_run(tmp_path / 'c', ['crevnet'], budget='5 min')
    same_name = _fake_run(tmp_path / 'd', ['seq2seq'])
    tool = ['tools/analysis_tools/learning_curves.py', '--work-dir', str(tmp_path / 'm')]
    out = run_tool(tool + ['--merge', a, other_clips])
    assert out.returncode and 'evaluated on other test clips' in out.stderr
    out = run_tool(tool + ['--merge', a, other_budget])
    assert out.returncode and "budget='5 min'" in out.stderr
    out = run_tool(tool + ['--merge', a, same_name])
    assert out.returncode and "model name(s) ['seq2seq'] appear in more than one run" in out.stderr
    out = run_tool(tool + ['--merge', str(tmp_path / 'none')])
    assert out.returncode and 'curves.json not found' in out.stderr
    out = run_tool(tool + ['cfg.py', '--merge', a])
    assert out.returncode and 'either configs to train or --merge' in out.stderr
    assert not osp.exists(tmp_path / 'm')


def test_simple_predictors_blurred_extrapolation(tmp_path):
    """gain 0 is copy-last; a uniform brightness ramp is continued exactly."""
    tool = load_tool('projects/research/simple_predictors.py')
    prev = np.full((8, 10, 3), 0.2, np.float32)
    last = np.full((8, 10, 3), 0.3, np.float32)
    assert np.array_equal(tool.blurred_extrapolation(last, prev, 0.0, 5), last)
    assert np.allclose(tool.blurred_extrapolation(last, prev, 1.0, 5), 0.4, atol=1e-6)
    assert np.allclose(tool.blurred_extrapolation(last, prev, 10.0, 5), 1.0)  # clipped
    with pytest.raises(SystemExit, match='--blur must be an odd size'):
        tool.main([osp.join(ROOT, 'configs', '_base_', 'datasets', 'kitti_raw_sample.py'),
                   '--blur', '4'])

    class Clips:  # a digit that vanishes: the black frame is exact, copy-last is not
        def __len__(self):
            return 2

        def get_clip(self, i):
            clip = np.zeros((3, 16, 16, 1), np.uint8)
            clip[:2, 4:12, 4:12] = 200
            return clip
    rows = tool.evaluate(Clips(), n_past=2, gains=[0.5], k=3)
    assert list(rows)[:2] == ['copy last frame', 'black frame (all zeros)']
    assert rows['black frame (all zeros)'][0] == 0 and rows['black frame (all zeros)'][2] > 0.999
    assert rows['copy last frame'][0] > 0 and rows['copy last frame'][2] < 0.9


def test_learning_curves_of_a_stochastic_model_report_its_best_of_s(tmp_path, digits_root):
    """A stochastic model's points carry best / mean / worst of S seeded samples beside its
    deterministic prediction, and the table shows its best-of-S columns."""
    cfg = tmp_path / 'tiny_srvp.py'
    cfg.write_text(f"_base_ = '{osp.join(ROOT, 'configs', 'srvp_smmnist.py')}'\n"
                   "model = dict(nf=8, nh=16, ny=4, nz=4, n_inf=2, n_content=2, inf_hidden=16, "
                   "inf_layers=2, mlp_hidden=16, mlp_layers=2)\n")
    out = run_tool(['tools/analysis_tools/learning_curves.py', str(cfg), '--labels', 'srvp',
                    '--data', 'smmnist', '--data-root', str(digits_root), '--iters', '2',
                    '--points', '2', '--batch', '2', '--test-clips', '3', '--n-past', '3',
                    '--n-future', '2', '--samples', '3', '--work-dir', str(tmp_path / 'lc')])
    assert out.returncode == 0, out.stderr[-3000:]
    (run_dir,) = glob.glob(str(tmp_path / 'lc' / '*'))
    rows = json.load(open(osp.join(run_dir, 'curves.json')))['rows']
    assert [r['iter'] for r in rows] == [0, 2] and all(r['samples'] == 3 for r in rows)
    for r in rows:
        assert r['best/psnr'] >= r['mean/psnr'] >= r['worst/psnr']
        assert r['best/mse'] <= r['mean/mse'] <= r['worst/mse']
    md = open(osp.join(run_dir, 'curves.md')).read()
    assert 'best-of-S SSIM | best-of-S PSNR' in md
    assert "| srvp | 2 | " in md and f"{rows[-1]['best/psnr']:.2f}" in md


def _background_level_row(tmp_path, cfg, model, digits_root, *options):
    """Save ``model`` as a checkpoint of ``cfg``, run background_level.py on the first 3 test
    clips (3 -> 2) and return its row's six numbers and those clips (N, T, C, H, W) in [0, 1]."""
    import torch

    from crevdet.apis.budget_training import data_args, data_config, first_test_clips
    ckpt = str(tmp_path / 'iter_0.pth')
    torch.save(dict(meta=dict(cfg=cfg.pretty_text), state_dict=model.state_dict()), ckpt)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        load_tool('projects/research/background_level.py').main(
            [ckpt, '--data-root', str(digits_root), '--n-past', '3', '--n-future', '2',
             '--clips', '3', *options])
    row = [line for line in buf.getvalue().splitlines() if line.startswith(f'| {ckpt}')]
    test = data_config(data_args('smmnist', str(digits_root), 3, 2, 3))[1]
    clips = first_test_clips(test, 3)
    assert clips.shape == (3, 5, 1, 64, 64) and float(clips.max()) <= 1
    return [float(v) for v in row[0].strip('|').split('|')[1:]], clips


def test_background_level_of_a_copy_last_crevnet(tmp_path, digits_root):
    """An untrained CrevNet predicts the last observed frame: its background level is that
    frame's mean over the pixels where the future is black, computed here independently."""
    import torch
    from mmengine.config import Config

    from crevdet.evaluation.functional.video import psnr, ssim
    from crevdet.registry import MODELS, build_crevdet
    cfg = Config.fromfile(tiny_configs(tmp_path)[1])
    model = build_crevdet(MODELS, cfg.model.to_dict())
    (mean, median, digit, s, s_floor, p), clips = _background_level_row(tmp_path, cfg, model,
                                                                        digits_root)
    tool = load_tool('projects/research/background_level.py')
    last, future = clips[:, 2:3].expand(-1, 2, -1, -1, -1), clips[:, 3:5]
    assert mean == pytest.approx(float(last[future == 0].mean()), abs=2e-4)
    assert digit == pytest.approx(float(last[future > 0.5].mean()), abs=2e-4)
    assert s == pytest.approx(float(ssim(last.reshape(-1, 1, 64, 64),
                                         future.reshape(-1, 1, 64, 64)).mean()), abs=2e-3)
    assert p == pytest.approx(float(psnr(last, future).mean()), abs=0.01)
    with pytest.raises(SystemExit, match='nope.pth does not exist'):
        tool.main([str(tmp_path / 'nope.pth')])
    with pytest.raises(SystemExit, match='--clips and --batch must be >= 1'):
        tool.main([str(tmp_path / 'iter_0.pth'), '--batch', '0'])
    bare = str(tmp_path / 'bare.pth')
    torch.save(dict(state_dict=model.state_dict()), bare)
    with pytest.raises(SystemExit, match='bare.pth stores no readable model config'):
        tool.main([bare, '--data-root', str(digits_root), '--n-past', '3', '--clips', '1'])


FAKE_AUTHORS_SRVP = '''
import torch
import torch.nn as nn


class StochasticLatentResidualVideoPredictor(nn.Module):
    """Stands in for the authors' model with their interface: copy-last times a gain."""

    def __init__(self, nx, nc, nf, nhx, ny, nz, skipco, nt_inf, nh_inf, nlayers_inf, nh_res,
                 nlayers_res, archi):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(()))

    def init(self, res_gain=1.41):
        pass

    def forward(self, x, nt, dt, remove_intermediate=True):
        extra = x[-1:].expand(nt - len(x), -1, -1, -1, -1)
        x_ = torch.cat([x, extra]) * self.gain
        n = x.shape[1]
        q_z = torch.zeros(nt - 1, n, 2)
        return (x_, None, None, None, torch.zeros(n, 2) + self.gain, q_z, q_z.clone(),
                torch.zeros(nt - 1, n, 1))
'''
FAKE_AUTHORS_UTILS = '''
import math
import torch
import torch.distributions as distrib
import torch.nn.functional as F


def neg_logprob(loc, data, scale=1):
    return 0.5 * ((data - loc) / scale) ** 2 + math.log(scale) + 0.5 * math.log(2 * math.pi)


def make_normal_from_raw_params(raw_params, scale_stddev=1, dim=-1, eps=1e-8):
    loc, raw_scale = torch.chunk(raw_params, 2, dim)
    return distrib.Normal(loc, F.softplus(raw_scale) + eps)
'''


def test_srvp_reference_runs_the_authors_interface_on_the_learning_curve_protocol(
        tmp_path, digits_root):
    """The tool trains and evaluates whatever ``module.srvp`` the checkout holds: a copy-last
    stand-in, frozen (lr 0), must score exactly the copy-last row on the same test clips."""
    code = tmp_path / 'srvp_checkout'
    (code / 'module').mkdir(parents=True)
    (code / 'module' / '__init__.py').write_text('')
    (code / 'module' / 'srvp.py').write_text(FAKE_AUTHORS_SRVP)
    (code / 'module' / 'utils.py').write_text(FAKE_AUTHORS_UTILS)
    out = run_tool(['projects/research/srvp_reference.py', '--authors-code', str(code),
                    '--data-root', str(digits_root), '--iters', '4', '--points', '3',
                    '--batch', '2', '--test-clips', '3', '--samples', '2', '--lr', '0',
                    '--work-dir', str(tmp_path / 'ref')])
    assert out.returncode == 0, out.stderr[-3000:]
    (run_dir,) = glob.glob(str(tmp_path / 'ref' / '*'))
    run = json.load(open(osp.join(run_dir, 'curves.json')))
    assert run['data'] == 'smmnist' and run['budget'] == '4 iterations'
    assert [r['iter'] for r in run['rows']] == [0, 2, 4]
    for r in run['rows']:
        for m in ('mse', 'ssim', 'psnr'):
            assert r[m] == pytest.approx(r[f'copy_last/{m}'], rel=1e-6)
            assert r[f'best/{m}'] == pytest.approx(r[m], rel=1e-6)
    assert osp.isfile(osp.join(run_dir, 'curves.png'))
    bad = run_tool(['projects/research/srvp_reference.py', '--authors-code', str(tmp_path),
                    '--iters', '1'])
    assert bad.returncode != 0 and 'has no module/srvp.py' in bad.stderr


def test_background_level_of_sampled_futures_is_the_best_of_s(tmp_path, digits_root):
    """--samples reads the best of S seeded sampled futures per clip (by SSIM over the steps),
    recomputed here from the model's own seeded samples, in batches of --batch clips; a
    deterministic model is refused."""
    import torch
    from mmengine.config import Config

    from crevdet.evaluation.functional.video import psnr, ssim
    from crevdet.registry import MODELS, build_crevdet
    cfg_path = tmp_path / 'tiny_srvp.py'
    cfg_path.write_text(f"_base_ = '{osp.join(ROOT, 'configs', 'srvp_smmnist.py')}'\n"
                        "model = dict(nf=8, nh=16, ny=4, nz=4, n_inf=2, n_content=2, n_past=3, "
                        "n_future=2, mlp_hidden=32, mlp_layers=2, num_samples=2)\n")
    cfg = Config.fromfile(str(cfg_path))
    torch.manual_seed(0)
    model = build_crevdet(MODELS, cfg.model.to_dict()).eval()
    (mean, _, digit, s, _, p), clips = _background_level_row(tmp_path, cfg, model, digits_root,
                                                             '--samples', '3', '--seed', '7')
    future = clips[:, 3:5]
    with torch.no_grad():
        draws = model.sample(clips, 3, 2, 3, generator=torch.Generator().manual_seed(7))
    draws = draws.clamp(0, 1)
    per = torch.stack([ssim(draws[:, k], future).mean(1) for k in range(3)], 1)  # (clips, S)
    assert float(per.std(1).max()) > 0  # the samples differ: choosing one matters
    best = draws[torch.arange(3), per.argmax(1)]
    assert s == pytest.approx(float(per.max(1).values.mean()), abs=2e-4)
    # PSNR: per clip the sample with the best PSNR (the learning-curve protocol), not SSIM's
    per_psnr = torch.stack([psnr(draws[:, k], future).mean(1) for k in range(3)], 1)
    assert p == pytest.approx(float(per_psnr.max(1).values.mean()), abs=0.01)
    assert mean == pytest.approx(float(best[future == 0].mean()), abs=2e-4)
    assert digit == pytest.approx(float(best[future > 0.5].mean()), abs=2e-4)
    # --batch 2: clips 0-1 then clip 2, one generator running on across the batches (as the
    # learning-curve hook draws them), not reseeded per batch; exact, not through the table
    tool = load_tool('projects/research/background_level.py')
    args = argparse.Namespace(n_past=3, n_future=2, samples=3, seed=7, batch=2)
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        got = tool.predict_all(model, clips, future, args)
        draws = [model.sample(clips[i:i + 2], 3, 2, 3, generator=gen).clamp(0, 1)
                 for i in (0, 2)]
        reseeded = model.sample(clips[2:], 3, 2, 3,
                                generator=torch.Generator().manual_seed(7)).clamp(0, 1)
    draws = torch.cat(draws)
    per = torch.stack([ssim(draws[:, k], future).mean(1) for k in range(3)], 1)
    assert torch.equal(got[0], draws[torch.arange(3), per.argmax(1)])
    assert torch.equal(got[1], torch.stack([psnr(draws[:, k], future).mean(1)
                                            for k in range(3)], 1).max(1).values)
    assert not torch.allclose(reseeded, draws[2:])
    with torch.no_grad():  # the deterministic prediction does not depend on the batching
        args.samples = 0
        one = tool.predict_all(model, clips, future, args)[0]
        args.batch = 3
        assert torch.allclose(one, tool.predict_all(model, clips, future, args)[0], atol=1e-6)
    crevnet = tiny_configs(tmp_path)[1]
    ccfg = Config.fromfile(crevnet)
    det = str(tmp_path / 'crevnet.pth')
    torch.save(dict(meta=dict(cfg=ccfg.pretty_text),
                    state_dict=build_crevdet(MODELS, ccfg.model.to_dict()).state_dict()), det)
    with pytest.raises(SystemExit, match='--samples: .*deterministic'):
        load_tool('projects/research/background_level.py').main(
            [det, '--data-root', str(digits_root), '--n-past', '3', '--clips', '1',
             '--samples', '2'])
