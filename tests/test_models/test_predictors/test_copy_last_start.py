"""An untrained CrevNet predicts exactly the last observed frame; k > 1 clips are trained and fed
back consistently; detection backbones use a step their pretraining trained."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import ROOT, detection_configs
from crevdet.models import CrevNet
from crevdet.registry import MODELS, build_crevdet
from crevdet.checkpoint import expand_pretrain_configs


def config_model(path, **over):
    cfg = Config.fromfile(osp.join(ROOT, path)).model
    cfg.update(over)
    return build_crevdet(MODELS, cfg)


def max_dev_from_copy_last(net, frames, n_past, n_future):
    with torch.no_grad():
        pred, _ = net.rollout(frames, n_past, n_future)
    return (pred - frames[:, n_past - 1:n_past]).abs().max().item()


@pytest.mark.parametrize('config,frame_size', [
    ('configs/crevnet/crevnet-predict_kitti-raw-128x160_10to1.py', (64, 80)),
    ('configs/pretrain_mmnist.py', (64, 64)),
    ('configs/baselines/crevnet_3d_mmnist.py', (32, 32)),
    ('configs/demo/pretrain_demo.py', (32, 64)),  # random GroupNorm couplings: still bijective
    ('configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py', (32, 64)),  # the same, full size
])
def test_shipped_configs_start_at_copy_last(config, frame_size):
    """The issue's check: random frames in [0, 1], closed loop, every future step."""
    torch.manual_seed(0)
    net = config_model(config).eval()
    c = net.in_channels
    frames = torch.rand(2, net.n_past + net.n_future, c, *frame_size)
    assert max_dev_from_copy_last(net, frames, net.n_past, 5) < 1e-4
    # the paper-faithful initialisation (config flags) does not start there
    paper = config_model(config, autoencoder=dict(net_cfg_autoencoder(config),
                                                  zero_init_residual=False),
                         predictor=dict(net_cfg_predictor(config), update='convex')).eval()
    assert max_dev_from_copy_last(paper, frames, paper.n_past, 5) > 0.05


def net_cfg_autoencoder(config):
    return dict(Config.fromfile(osp.join(ROOT, config)).model.get('autoencoder', {}))


def net_cfg_predictor(config):
    return dict(Config.fromfile(osp.join(ROOT, config)).model.get('predictor', {}))


@pytest.mark.parametrize('conv_dim,clip_len,cell,layers', [
    (2, 1, 'convlstm', 4), (2, 2, 'convlstm', 4), (3, 3, 'convlstm', 4), (2, 1, 'stlstm', 3),
    (3, 3, 'stlstm', 2),
])
def test_untrained_crevnet_copies_the_last_frame(conv_dim, clip_len, cell, layers):
    torch.manual_seed(0)
    net = CrevNet(in_channels=3, n_past=4, n_future=6, conv_dim=conv_dim, clip_len=clip_len,
                  autoencoder=dict(blocks=(2, 2), strides=(1, 2)),
                  predictor=dict(num_layers=layers, hidden_channels=8, cell=cell))
    frames = torch.rand(2, 10, 3, 16, 24)
    assert max_dev_from_copy_last(net, frames, 4, 6) < 1e-4
    # fp64: exact up to rounding, whatever the input range
    net = net.double()
    assert max_dev_from_copy_last(net, frames.double() * 10 - 5, 4, 6) < 1e-10


def test_copy_last_start_leaves_the_identity():
    """The zero-initialised RPM projections get gradients at once. The autoencoder gets none
    while the predictor is the identity (decode(encode(x)) == x whatever its weights), but as
    soon as the projections moved (one Adam step), and then every parameter learns."""
    torch.manual_seed(0)
    net = CrevNet(in_channels=1, n_past=3, n_future=2, autoencoder=dict(blocks=(1, 1),
                                                                          strides=(1, 2)),
                  predictor=dict(num_layers=2, hidden_channels=8))
    frames = torch.rand(2, 5, 1, 16, 16)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    zero_init = [n for n, p in net.named_parameters() if not p.abs().sum()]
    assert any('proj' in n for n in zero_init) and any('autoencoder' in n for n in zero_init)
    for it in range(3):
        opt.zero_grad()
        net.loss(frames)['loss_mse'].backward()
        grads = {n: p.grad for n, p in net.named_parameters()}
        if it == 0:
            assert all(grads[n].abs().sum() > 0 for n in zero_init if 'proj.weight' in n)
            assert all(grads[n].abs().sum() == 0 for n in grads if n.startswith('autoencoder'))
        opt.step()
    silent = [n for n, g in grads.items() if g is None or not g.abs().sum()]
    assert not silent, silent


@pytest.mark.parametrize('conv_dim,clip_len', [(2, 2), (3, 3)])
def test_clip_loss_covers_every_frame_of_every_predicted_clip(conv_dim, clip_len):
    torch.manual_seed(0)
    net = CrevNet(in_channels=1, n_past=4, n_future=3, conv_dim=conv_dim, clip_len=clip_len,
                  autoencoder=dict(blocks=(1, 1), strides=(1, 2)),
                  predictor=dict(num_layers=2, hidden_channels=8, zero_init_proj=False))
    frames = torch.rand(2, 7, 1, 16, 16)
    k = clip_len
    clips, _ = net.rollout_clips(frames, 4, 3, teacher_forcing=True, decode_from=k - 1)
    steps = list(range(k - 1, 6))
    assert clips.shape == (2, len(steps), k, 1, 16, 16)
    target = torch.stack([frames[:, t - k + 2:t + 2] for t in steps], 1)
    expected = ((clips - target) ** 2).mean()
    assert torch.allclose(net.loss(frames)['loss_mse'], expected, rtol=1e-6)
    # the oldest slice of the first predicted clip (frame 1) is in the loss: its gradient
    # reaches the prediction through that slice
    clips.retain_grad()
    ((clips - target) ** 2).mean().backward()
    assert clips.grad[:, 0, 0].abs().sum() > 0


@pytest.mark.parametrize('conv_dim,clip_len', [(2, 2), (3, 3)])
def test_closed_loop_feeds_back_frames_with_observed_ones_overwritten(conv_dim, clip_len):
    torch.manual_seed(0)
    net = CrevNet(in_channels=1, n_past=4, n_future=3, conv_dim=conv_dim, clip_len=clip_len,
                  autoencoder=dict(blocks=(1, 1), strides=(1, 2)),
                  predictor=dict(num_layers=2, hidden_channels=8, zero_init_proj=False)).eval()
    frames = torch.rand(1, 7, 1, 16, 16)
    seen = []
    encode = net.autoencoder.encode
    net.autoencoder.encode = lambda x: seen.append(net._from_clip(x)) or encode(x)
    with torch.no_grad():
        pred, _ = net.rollout(frames, 4, 3)
    # first call: the observed clips in one batch; then one re-encode per closed-loop step
    fed = seen[1:]
    assert len(fed) == 2
    k = clip_len
    n_obs_first = k - 1  # step 4 consumes frames 5-k .. 4; all but the newest are observed
    assert torch.equal(fed[0][:, :n_obs_first], frames[:, 5 - k:4])
    assert (fed[0][:, -1] - pred[:, 0]).abs().max() < 1e-5  # the newest is the prediction
    # and the observed frames never leak the future: changing frames 4.. changes nothing
    other = frames.clone()
    other[:, 4:] = torch.rand(1, 3, 1, 16, 16)
    net.autoencoder.encode = encode
    with torch.no_grad():
        assert torch.equal(net.rollout(other, 4, 3)[0], pred)


def _recurrent_detection_configs():
    """(detection config, its pretraining config) for every detector on a recurrent predictor:
    the backbone names the pretraining config whose model it builds."""
    for rel, cfg in detection_configs():
        pretrain = cfg.model.backbone.model
        if Config.fromfile(osp.join(ROOT, pretrain)).model.get('type', 'CrevNet') in (
                'CrevNet', 'UNetVideoPredictor'):
            yield rel, pretrain


RECURRENT_DETECTORS = list(_recurrent_detection_configs())


def test_the_recurrent_detection_configs_are_all_found():
    names = {d for d, _ in RECURRENT_DETECTORS}
    assert {'configs/ssd_crevnet_kitti.py', 'configs/demo/ssd_demo_random.py',
            'configs/ssd_unet_rpm_kitti.py', 'configs/faster_rcnn_crevnet_kitti.py',
            'configs/crevnet/ssd_crevnet-detect_kitti-416x128.py',
            'configs/crevnet/retinanet_crevnet-detect_kitti-416x128.py',
            'configs/crevnet/faster-rcnn_crevnet-detect_kitti-416x128.py'} <= names
    assert len(names) >= 8


@pytest.mark.parametrize('det,pretrain', RECURRENT_DETECTORS)
def test_backbone_step_is_a_trained_step(det, pretrain):
    """The backbone's target step must be one the pretraining loss trained with ground-truth
    inputs."""
    pre = Config.fromfile(osp.join(ROOT, pretrain))
    net = build_crevdet(MODELS, pre.model)
    trained = net.trained_steps()
    clip_len = pre.train_dataloader.dataset.clip_len
    assert clip_len >= net.n_past + net.n_future, 'the training clips hold every trained step'
    cfg = expand_pretrain_configs(Config.fromfile(osp.join(ROOT, det))).model.backbone
    bb = build_crevdet(MODELS, dict(cfg, init_cfg=None))
    assert bb.feature_step in trained, (
        f'{det} takes features from step {bb.feature_step}; {pretrain} trains steps '
        f'{list(trained)}')
    # the detector's predictor is the pretraining one (same architecture, same weights)
    assert set(bb.net.state_dict()) == set(net.state_dict()) - {
        k for k in net.state_dict() if k.startswith('data_preprocessor')}


def test_trained_steps_follow_the_protocol():
    net = CrevNet(in_channels=1, n_past=3, n_future=1, autoencoder=dict(blocks=(1, 1),
                                                                         strides=(1, 2)),
                  predictor=dict(num_layers=2, hidden_channels=8))
    assert list(net.trained_steps()) == [0, 1, 2]  # a 4-frame backbone needs step 3
    net.n_past = 4
    assert list(net.trained_steps()) == [0, 1, 2, 3]
    net.teacher_forcing, net.n_future = False, 3
    assert list(net.trained_steps()) == [0, 1, 2, 3]  # closed-loop steps see predictions


@pytest.mark.parametrize('diff_input', ['only', True])
def test_motion_only_rpms_keep_a_still_scene_still_after_training(diff_input):
    """diff_input='only' with bias-free cells: whatever the weights (here all perturbed, as after
    training), a video that stops moving is predicted as its last frame; with diff_input=True
    the cells also see the content, and a trained model changes a still frame."""
    torch.manual_seed(0)
    net = CrevNet(in_channels=3, n_past=4, n_future=3,
                  autoencoder=dict(blocks=(1, 1), strides=(1, 2), norm='none'),
                  predictor=dict(num_layers=3, hidden_channels=8, bias=False, update='residual',
                                 diff_input=diff_input))
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    still = torch.rand(2, 1, 3, 16, 24).expand(2, 7, 3, 16, 24).contiguous()
    dev = max_dev_from_copy_last(net, still, 4, 3)
    assert dev < 1e-5 if diff_input == 'only' else dev > 1e-3
    moving = torch.rand(2, 7, 3, 16, 24)
    assert max_dev_from_copy_last(net, moving, 4, 3) > 1e-3  # motion is extrapolated
