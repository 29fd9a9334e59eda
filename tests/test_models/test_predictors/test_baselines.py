"""Baseline video predictors (ConvLSTM seq2seq, stacked ConvLSTM, PredRNN, UNet + RPM / stacked
RNN), the generic detection backbone, and the benchmark / ablation tools' outputs."""
import glob
import json
import os.path as osp

import pytest
import torch

from conftest import (ROOT, fake_digits, load_tool, moving_square, run_tool, tiny_configs,
                      write_idx)
from crevdet.registry import MODELS

TINY = {
    'ConvLSTMSeq2Seq': dict(hidden_channels=8),
    'StackedConvLSTM': dict(num_layers=2, hidden_channels=8),
    'PredRNN': dict(num_layers=2, hidden_channels=8),
    'UNetVideoPredictor': dict(encoder=dict(channels=(8, 16, 16)),
                               predictor=dict(type='RPMPredictor', num_layers=2,
                                              hidden_channels=8)),
    'UNetStacked': dict(type='UNetVideoPredictor', encoder=dict(channels=(8, 16, 16)),
                        predictor=dict(type='StackedRNNPredictor', num_layers=2,
                                       hidden_channels=8)),
    'CrevNet': dict(autoencoder=dict(blocks=(1, 1, 1)),
                    predictor=dict(num_layers=2, hidden_channels=8)),
}


def build(name, **kw):
    cfg = dict(type=name, in_channels=1, n_past=4, n_future=3)
    cfg.update(TINY[name])
    cfg.update(kw)
    torch.manual_seed(0)
    return MODELS.build(cfg)


@pytest.mark.parametrize('name', list(TINY))
def test_baseline_shapes_modes_and_teacher_forcing(name):
    model = build(name)
    x = moving_square()
    assert model(x).shape == (4, 3, 1, 32, 32)  # tensor mode: the n_future frames
    closed = model.rollout(x, 4, 3)[0]
    # the observed frames alone give the same prediction: nothing from the future leaks in
    assert torch.allclose(model.rollout(x[:, :4], 4, 3)[0], closed, atol=1e-6)
    out = model.predict(x)
    assert out[0].pred_frames.shape == (3, 1, 32, 32)
    assert float(out[0].pred_frames.min()) >= 0 and float(out[0].pred_frames.max()) <= 1
    assert torch.equal(out[1].gt_frames, x[1, 4:]) and torch.equal(out[1].last_observed, x[1, 3])
    loss = model.loss(x)['loss_mse']
    assert loss.ndim == 0 and torch.isfinite(loss)
    if name != 'ConvLSTMSeq2Seq':  # every step predicted; teacher forcing sees the truth
        first = model.clip_len - 1
        tf = model.rollout(x, 4, 3, teacher_forcing=True, decode_from=first)[0]
        assert tf.shape == (4, 6 - first, 1, 32, 32)
        # up to the last observed frame both modes see the same inputs
        n_same = 4 - first
        closed_all = model.rollout(x, 4, 3, decode_from=first)[0]
        assert torch.allclose(tf[:, :n_same], closed_all[:, :n_same], atol=1e-6)
    with pytest.raises(ValueError, match='expects frames'):
        model.loss(torch.rand(2, 7, 3, 32, 32))
    with pytest.raises(ValueError, match='at least 7 frames'):
        model.loss(x[:, :5])


def test_seq2seq_rejects_steps_before_the_future():
    model = build('ConvLSTMSeq2Seq')
    with pytest.raises(ValueError, match='decode_from=1'):
        model.rollout(moving_square(), 4, 3, decode_from=1)


@pytest.mark.parametrize('name', list(TINY))
def test_baseline_loss_decreases_in_a_few_steps(name):
    model = build(name)
    x = moving_square(seed=1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        loss = model.loss(x)['loss_mse']
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert min(losses[-3:]) < 0.6 * losses[0], (name, losses[0], losses[-3:])


def test_stacked_rnn_patch_size_and_predrnn_memory():
    model = build('PredRNN', patch_size=4)
    assert model.stack.cells[0].conv_x.in_channels == 16  # 1 channel * 4 * 4
    assert model(moving_square()).shape == (4, 3, 1, 32, 32)
    # ST-LSTM memory zig-zags: the step's state carries the top layer's m
    _, state = model.stack(torch.rand(2, 16, 8, 8))
    assert state['m'] is not None and state['m'].shape == (2, 8, 8, 8)
    with pytest.raises(ValueError, match='patch_size'):
        build('StackedConvLSTM', patch_size=0)


def test_unet_clip_len_and_unknown_predictor():
    model = build('UNetStacked', clip_len=2)
    assert model.encoder.in_channels == 2
    assert model(moving_square()).shape == (4, 3, 1, 32, 32)
    with pytest.raises(ValueError, match="predictor type must be one of"):
        build('UNetVideoPredictor', predictor=dict(type='lstm'))


@pytest.mark.parametrize('name,gates,channels', [('UNetVideoPredictor', 'mean', (16, 16 + 8)),
                                                 ('UNetStacked', 'none', (16, 16))])
def test_unet_detection_backbone_loads_pretraining_checkpoint(tmp_path, name, gates, channels):
    from crevdet.models import VideoPredictorBackbone
    net = build(name, in_channels=3)
    path = str(tmp_path / 'pre.pth')
    torch.save({'state_dict': net.state_dict(), 'meta': {'iter': 1}}, path)
    cfg = dict(type='UNetVideoPredictor', in_channels=3, n_past=3, n_future=1)
    cfg.update({k: v for k, v in TINY[name].items() if k != 'type'})
    bb = VideoPredictorBackbone(model=cfg, num_frames=3, out_indices=(1, 2), gates=gates,
                                init_cfg=dict(type='Pretrained', checkpoint=path))
    bb.init_weights()
    for k, v in net.state_dict().items():
        assert torch.equal(bb.net.state_dict()[k], v), k
    feats = bb(torch.rand(2, 9, 32, 64))
    assert tuple(f.shape[1] for f in feats) == bb.out_channels == channels
    assert [64 // f.shape[-1] for f in feats] == list(bb.strides) == [4, 8]
    assert not bb.training and all(not p.requires_grad for p in bb.parameters())


def test_backbone_rejects_models_without_features_or_gates():
    from crevdet.models import VideoPredictorBackbone
    with pytest.raises(TypeError, match='StackedConvLSTM cannot be a detection backbone'):
        VideoPredictorBackbone(model=dict(type='StackedConvLSTM', n_past=3, n_future=1))
    with pytest.raises(ValueError, match="has no attention masks; set gates='none'"):
        VideoPredictorBackbone(model=dict(type='UNetVideoPredictor', n_past=3, n_future=1,
                                          predictor=dict(type='stacked')))


def test_benchmark_tool_writes_table_and_json(tmp_path):
    configs = tiny_configs(tmp_path)
    srvp = tmp_path / 'tiny_srvp.py'  # frame_size follows the setting; 2 samples per clip
    srvp.write_text(f"_base_ = '{osp.join(ROOT, 'configs', 'srvp_smmnist.py')}'\n"
                    "model = dict(nf=4, nh=8, ny=4, nz=4, n_inf=2, n_content=2, mlp_hidden=8, "
                    "mlp_layers=2, num_samples=2)\n")
    configs.append(str(srvp))
    out = run_tool(['tools/analysis_tools/benchmark.py', *configs, '--settings', '16x16_3to2_c1',
                    '--batch', '2', '--iters', '1', '--work-dir', str(tmp_path / 'bm')])
    assert out.returncode == 0, out.stderr[-3000:]
    (run_dir,) = glob.glob(str(tmp_path / 'bm' / '*'))
    data = json.load(open(osp.join(run_dir, 'benchmark.json')))
    assert data['reference'] == 'tiny_stacked_convlstm'
    rows = {r['model']: r for r in data['rows']}
    assert set(rows) == {'tiny_stacked_convlstm', 'tiny_crevnet_2d', 'tiny_srvp'}
    for r in rows.values():
        assert r['setting'] == '16x16_3to2_c1' and r['batch'] == 2
        for key in ('params', 'gflops', 'act_mb', 'train_sps', 'infer_fps'):
            assert r[key] > 0, (r['model'], key)
        assert r['peak_mb'] >= 0
    # 1-layer ConvLSTM, 1 -> 4 channels, 3x3: 4 gates * 4 * (1 + 4) * 9 + 16 + 3 peepholes * 4,
    # plus the 1x1 head 4 -> 1
    assert rows['tiny_stacked_convlstm']['params'] == 4 * 4 * 5 * 9 + 16 + 12 + 5
    md = open(osp.join(run_dir, 'benchmark.md')).read()
    assert '| model | params | GFLOPs/sample | act. MB/sample | peak MB/sample | ' \
           'train samples/s | infer frames/s |' in md
    ref_line = next(line for line in md.splitlines() if line.startswith('| tiny_stacked'))
    assert ref_line.count('(1.00x)') == 6  # the reference against itself
    assert 'ratio to tiny_stacked_convlstm' in md


def test_benchmark_loader_times_moving_mnist_drawn_on_the_device(tmp_path):
    bm = load_tool('tools/analysis_tools/benchmark.py')
    digits = str(tmp_path / 'digits-idx3-ubyte.gz')
    write_idx(digits, fake_digits(20))
    cfg = tmp_path / 'mm.py'
    cfg.write_text(f"_base_ = '{osp.join(ROOT, 'configs', 'pretrain_mmnist.py')}'\n"
                   f"train_dataloader = dict(dataset=dict(mnist_file='{digits}', "
                   "digit_range=(0, 20)))\n")
    row = bm.measure_loader(str(cfg), 8, None, [None], 'cpu')
    assert row['loader_sps'] > 0 and row['loader_drawn_on'] == 'cpu'
    row.update(model='mm', setting='64x64_10to10_c1', batch=16, device='cpu', train_sps=1.0)
    assert '(drawn on cpu)' in bm.format_loader_table([row])
    with pytest.raises(SystemExit, match='--render-on-device is for MovingMNISTDataset'):
        bm.measure_loader(osp.join(ROOT, 'configs', 'pretrain_kitti.py'), 8, None, [None], 'cpu')
    out = run_tool(['tools/analysis_tools/benchmark.py', '--render-on-device'])
    assert out.returncode and '--render-on-device needs --data' in out.stderr


def test_benchmark_compile_table_names_the_scope():
    bm = load_tool('tools/analysis_tools/benchmark.py')
    row = dict(model='m', setting='64x64_10to10_c1', batch=4, launches_eager=13809,
               launches_compiled=3024, step_s_eager=0.839, step_s_compiled=0.624, compile_s=61,
               compile_scope='loss')
    line = bm.format_compile_table([row]).splitlines()[-1]
    assert line == '| m | 64x64_10to10_c1 | 4 | 13809 | 3024 (scope loss) | 4.6x | 0.839 | 0.624 ' \
                   '| 1.34x | 61 |'


def test_benchmark_tool_rejects_bad_setting_and_config(tmp_path):
    out = run_tool(['tools/analysis_tools/benchmark.py', '--settings', '64by64'])
    assert out.returncode and "setting '64by64' is neither a preset" in out.stderr
    out = run_tool(['tools/analysis_tools/benchmark.py', str(tmp_path / 'nope.py')])
    assert out.returncode and 'config file(s) not found' in out.stderr


def test_ablation_tool_equal_budget_table(tmp_path):
    digits = fake_digits(10000)
    write_idx(str(tmp_path / 't10k-images-idx3-ubyte.gz'), digits)
    configs = tiny_configs(tmp_path)
    out = run_tool(['tools/analysis_tools/ablation.py', *configs, '--data-root', str(tmp_path),
                    '--minutes', '0.0001', '--batch', '2', '--test-clips', '3', '--workers', '0',
                    '--work-dir', str(tmp_path / 'abl')])
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'training on t10k digits 0-7999, testing on 8000-9999' in out.stderr
    (run_dir,) = glob.glob(str(tmp_path / 'abl' / '*'))
    data = json.load(open(osp.join(run_dir, 'ablation.json')))
    assert [r['model'] for r in data['rows']] == ['tiny_stacked_convlstm', 'tiny_crevnet_2d']
    for r in data['rows']:
        assert r['iters'] == 1  # the time budget stopped training after the first iteration
        assert r['mse'] > 0 and 0 < r['psnr'] < 100 and -1 <= r['ssim'] <= 1
        assert r['copy_last'] == data['rows'][0]['copy_last']  # one shared test set
    md = open(osp.join(run_dir, 'ablation.md')).read()
    assert '| model | iterations | train min | S | MSE / frame | SSIM | PSNR | best-of-S SSIM' in md
    assert '| copy last frame | - | - | - |' in md and 'same budget per model: 0.0001 min' in md
    for r in data['rows']:  # deterministic: one sample, best = mean = the prediction
        assert r['samples'] == 1 and r['best'] == r['mean'] == {k: r[k] for k in
                                                               ('mse', 'ssim', 'psnr')}
    assert osp.isfile(osp.join(run_dir, 'tiny_crevnet_2d', 'iter_1.pth'))


def test_ablation_tool_stochastic_and_two_stage_models(tmp_path):
    digits = fake_digits(200)
    write_idx(str(tmp_path / 'train-images-idx3-ubyte.gz'), digits[:100])
    write_idx(str(tmp_path / 't10k-images-idx3-ubyte.gz'), digits[100:])
    srvp = tmp_path / 'tiny_srvp.py'
    srvp.write_text(f"_base_ = '{osp.join(ROOT, 'configs', 'srvp_smmnist.py')}'\n"
                    "model = dict(nf=8, nh=16, ny=4, nz=4, n_inf=2, n_content=2, mlp_hidden=32, "
                    "mlp_layers=2, num_samples=2)\n")
    vq = tmp_path / 'tiny_vqvae.py'
    vq.write_text(f"_base_ = '{osp.join(ROOT, 'configs', 'vqvae_smmnist_stage1.py')}'\n"
                  "model = dict(vqvae=dict(nh=16, code_dim=8, num_codes=16, num_res=1), "
                  "top_prior=dict(channels=8, num_layers=1, attn_every=1, num_heads=2), "
                  "bottom_prior=dict(channels=8, num_layers=1), num_samples=2)\n")
    out = run_tool(['tools/analysis_tools/ablation.py', str(srvp), str(vq), '--data', 'smmnist',
                    '--n-past', '4', '--n-future', '4', '--data-root', str(tmp_path),
                    '--iters', '4', '--stage1-share', '0.25', '--batch', '2', '--test-clips',
                    '2', '--workers', '0', '--work-dir', str(tmp_path / 'abl')])
    assert out.returncode == 0, out.stderr[-3000:]
    (run_dir,) = glob.glob(str(tmp_path / 'abl' / '*'))
    data = json.load(open(osp.join(run_dir, 'ablation.json')))
    rows = {r['model']: r for r in data['rows']}
    assert rows['tiny_srvp']['samples'] == 2 and rows['tiny_srvp']['iters'] == 4
    assert rows['tiny_vqvae']['iters'] == '1+3'  # a quarter of the budget for stage 1
    assert rows['tiny_vqvae']['stage1_share'] == 0.25 and rows['tiny_srvp']['stage1_share'] is None
    for r in rows.values():
        assert r['best']['psnr'] >= r['mean']['psnr'] - 1e-9
        assert r['best']['mse'] <= r['mean']['mse'] + 1e-9
    assert osp.isfile(osp.join(run_dir, 'tiny_vqvae', 'stage1', 'iter_1.pth'))
    md = open(osp.join(run_dir, 'ablation.md')).read()
    assert '**smmnist** 4 -> 4' in md and 'a two-stage model 0.25 of it on stage 1' in md
    bad = run_tool(['tools/analysis_tools/ablation.py', str(vq), '--iters', '2',
                    '--stage1-share', '1'])
    assert bad.returncode != 0 and '--stage1-share must be between 0 and 1' in bad.stderr


PRETRAIN_CONFIGS = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p and 'ssd_' not in p and 'retinanet' not in p
    and 'faster_rcnn' not in p and 'faster-rcnn' not in p)


@pytest.mark.parametrize('config', PRETRAIN_CONFIGS,
                         ids=[osp.relpath(p, ROOT) for p in PRETRAIN_CONFIGS])
def test_pretraining_configs_build_and_clips_fit_the_model(config):
    """Every shipped pretraining config builds, and its training clips hold n_past + n_future
    frames (a mismatch would only fail after the data is loaded)."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    ds = cfg.train_dataloader.dataset
    length = ds.get('clip_len', ds.get('seq_len', 20))  # MovingMNIST's default seq_len is 20
    assert length >= model.n_past + model.n_future, (length, model.n_past, model.n_future)


@pytest.mark.parametrize('legacy,name', [('rpm', 'RPMPredictor'),
                                         ('stacked', 'StackedRNNPredictor')])
def test_unet_predictor_types_are_registry_types_and_old_names_still_load(legacy, name):
    from crevdet.checkpoint.stored_config import architecture_differences
    cfg = dict(type='UNetVideoPredictor', n_past=2, n_future=1, encoder=dict(channels=(8, 16)))
    torch.manual_seed(0)
    new = MODELS.build(dict(cfg, predictor=dict(type=name, num_layers=2, hidden_channels=8)))
    torch.manual_seed(0)
    old = MODELS.build(dict(cfg, predictor=dict(type=legacy, num_layers=2, hidden_channels=8)))
    assert type(new.predictor).__name__ == name == type(old.predictor).__name__
    for (k, a), (_, b) in zip(new.state_dict().items(), old.state_dict().items()):
        assert torch.equal(a, b), k  # same network, same keys: old checkpoints load as before
    # a checkpoint whose config says 'rpm' is the same architecture as a config saying the type
    assert architecture_differences(dict(predictor=dict(type=name)),
                                    dict(predictor=dict(type=legacy))) == []
    assert architecture_differences(dict(predictor=dict(type='RPMPredictor')),
                                    dict(predictor=dict(type='stacked'))) != []
    with pytest.raises(ValueError, match="predictor type must be one of .*'GRU'"):
        MODELS.build(dict(cfg, predictor=dict(type='GRU')))


def test_each_predictor_declares_the_keys_that_only_shape_its_pretraining():
    """The architecture check skips what the built type's class declares (``TRAINING_ONLY_KEYS``)
    and compares everything else, nested dicts included."""
    from crevdet.checkpoint.stored_config import architecture_differences, training_only_keys
    from crevdet.models import CrevNet
    from crevdet.models.predictors.vqvae_video import VQVAEVideoPredictor
    assert 'reversible_backprop' in CrevNet.TRAINING_ONLY_KEYS
    assert 'feature_path' in VQVAEVideoPredictor.TRAINING_ONLY_KEYS
    assert 'num_samples' in VQVAEVideoPredictor.TRAINING_ONLY_KEYS
    crev = dict(type='CrevNet', n_future=5, reversible_backprop=True,
                predictor=dict(num_layers=2, n_future=3))
    other = dict(type='CrevNet', n_future=1, reversible_backprop=False,
                 predictor=dict(num_layers=2, n_future=1))
    assert architecture_differences(crev, other) == []
    # the same keys on a type that does not declare them are architecture
    vq = dict(type='VQVAEVideoPredictor', reversible_backprop=True, feature_path='codes')
    trained = dict(vq, reversible_backprop=False, feature_path='clip')
    assert architecture_differences(vq, trained) == [
        'model.reversible_backprop: checkpoint False vs config True']
    assert training_only_keys(dict(type='NoSuchType')) == ('data_preprocessor', 'init_cfg')
