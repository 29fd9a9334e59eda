"""The backbone holds its predictor as an ordinary child (``backbone.net``): train/eval follows the
backbone, and checkpoints written before that layout (crevdet 0.1: ``backbone.autoencoder.*``)
still load, strictly, into the same places."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import ROOT, detection_configs
from crevdet.checkpoint import expand_pretrain_configs
from crevdet.checkpoint.weights import check_weights_fit, upgrade_legacy_keys
from crevdet.models import CrevNetBackbone
from crevdet.pretrain_configs import model_from_pretrain_config
from crevdet.registry import MODELS

# keys and shapes written by crevdet 0.1.0 (commit b735fae) for tests/configs/tiny_ssd_kitti.py
OLD = json.load(open(osp.join(ROOT, 'tests', 'data', 'crevdet_0_1_tiny_ssd_keys.json')))


def tiny_detector():
    cfg = Config.fromfile(osp.join(ROOT, 'tests', 'configs', 'tiny_ssd_kitti.py'))
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        det = MODELS.build(cfg.model)
        det.init_weights()  # as the Runner does: mmdet's SSDNeck L2Norm weight is empty memory
        return det, cfg


def expanded_backbone(**kwargs) -> CrevNetBackbone:
    """A backbone built as the tools build it: its config expanded when loaded."""
    cfg = expand_pretrain_configs(dict(model=dict(type='CrevNetBackbone', **kwargs)))
    return CrevNetBackbone(**{k: v for k, v in cfg['model'].items() if k != 'type'})


def random_state(shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(s, generator=g) for k, s in shapes.items()}


def test_predictor_is_an_ordinary_child_whose_mode_follows_the_backbone():
    det, cfg = tiny_detector()
    bb = det.backbone
    assert dict(bb.named_children())['net'] is bb.net
    assert all(k.startswith('net.') for k in bb.state_dict())
    det.train()
    assert not bb.net.training  # frozen: eval mode whatever the detector does
    tuned = CrevNetBackbone(model=cfg.model.backbone.model, frozen=False)
    tuned.train()
    assert tuned.net.training and tuned.net.autoencoder.training
    tuned.eval()
    assert not tuned.net.autoencoder.training


def test_a_detector_checkpoint_of_crevdet_0_1_loads_strictly_into_the_same_weights():
    det, _ = tiny_detector()
    old = random_state(OLD['detector'])
    assert any(k.startswith('backbone.autoencoder.') for k in old)
    # the runner's path (load_from / test / resume): upgrade, then the strict fit check
    upgraded = upgrade_legacy_keys(det, dict(old))
    assert check_weights_fit(det.state_dict(), upgraded, 'old.pth', 'detector')
    # plain torch: the backbone's load_state_dict pre-hook upgrades in place
    det.load_state_dict(dict(old), strict=True)
    own = det.state_dict()
    for k, v in old.items():
        new_k = 'backbone.net.' + k[len('backbone.'):] if k.startswith('backbone.') else k
        assert torch.equal(own[new_k], v), k
    # today's checkpoints pass unchanged
    assert upgrade_legacy_keys(det, own).keys() == own.keys()


def test_a_pretraining_checkpoint_of_crevdet_0_1_initialises_the_backbone(tmp_path):
    det, cfg = tiny_detector()
    old = random_state(OLD['pretrain'], seed=1)
    path = str(tmp_path / 'iter_1.pth')
    torch.save(dict(meta=dict(), state_dict=old), path)
    bb = CrevNetBackbone(model=cfg.model.backbone.model,
                         init_cfg=dict(type='Pretrained', checkpoint=path))
    bb.init_weights()
    own = bb.state_dict()
    assert all(torch.equal(own['net.' + k], v) for k, v in old.items()
               if not k.startswith('data_preprocessor.'))
    # a detector checkpoint (prefix='backbone.') of either layout gives the same weights
    for layout in ('old', 'new'):
        sd = {('backbone.' + k if layout == 'old' else 'backbone.net.' + k): v
              for k, v in old.items()}
        torch.save(dict(state_dict=sd), path)
        bb2 = CrevNetBackbone(model=cfg.model.backbone.model,
                              init_cfg=dict(type='Pretrained', checkpoint=path,
                                            prefix='backbone.'))
        bb2.init_weights()
        assert all(torch.equal(a, b) for a, b in zip(bb2.state_dict().values(), own.values()))


def test_a_mismatched_old_checkpoint_still_fails_naming_the_key():
    det, _ = tiny_detector()
    old = random_state(OLD['detector'])
    key = next(k for k in old if k.startswith('backbone.predictor.'))
    old[key] = torch.zeros(3)
    with pytest.raises(Exception, match='backbone.net.predictor'):
        check_weights_fit(det.state_dict(), upgrade_legacy_keys(det, old), 'old.pth', 'det')


def test_no_detection_config_writes_an_architecture_it_pretrains_elsewhere():
    """Every detection config names its pretraining config instead of repeating its model, and
    its checkpoint (if set) is that pretraining run's."""
    seen = 0
    for name, cfg in detection_configs():
        seen += 1
        bb = cfg.model.backbone
        assert isinstance(bb.model, str), f'{name}: backbone.model repeats a model dict'
        pre = Config.fromfile(osp.join(ROOT, bb.model))
        assert pre.model.type != 'SingleStageDetector' and 'backbone' not in pre.model, name
        ckpt = (bb.get('init_cfg') or {}).get('checkpoint')
        if ckpt:  # the shipped path: work_dirs/<pretraining config name>/iter_N.pth
            stem = osp.splitext(osp.basename(bb.model))[0]
            assert f'/{stem}/' in ckpt, f'{name}: checkpoint {ckpt} is not from {bb.model}'
    assert seen >= 10


def test_backbone_builds_the_model_of_the_named_pretraining_config():
    """The config names the pretraining config; loading it puts that model in the backbone's
    place (the backbone itself reads no file, and says so when given a path)."""
    cfg = Config(dict(model=dict(type='SingleStageDetector', backbone=dict(
        type='CrevNetBackbone', model='configs/demo/pretrain_demo.py'))))
    expand_pretrain_configs(cfg)
    pre = Config.fromfile(osp.join(ROOT, 'configs', 'demo', 'pretrain_demo.py')).model
    assert cfg.model.backbone.model == {k: v for k, v in pre.to_dict().items()
                                        if k != 'data_preprocessor'}
    assert expand_pretrain_configs(cfg).model == cfg.model  # idempotent
    bb = CrevNetBackbone(model=cfg.model.backbone.model)
    assert len(bb.net.predictor.layers) == pre.predictor.num_layers
    assert bb.model_cfg['autoencoder']['blocks'] == pre.autoencoder.blocks
    with pytest.raises(FileNotFoundError, match=r"model\.backbone\.model: pretraining config "
                       r"'configs/nope\.py' not found"):
        expand_pretrain_configs(dict(model=dict(backbone=dict(type='CrevNetBackbone',
                                                              model='configs/nope.py'))))
    with pytest.raises(ValueError, match=r"model='configs/demo/pretrain_demo.py' names a "
                       r'pretraining config.*expand_pretrain_configs\(cfg\)'):
        CrevNetBackbone(model='configs/demo/pretrain_demo.py')


def test_a_checkpoint_of_another_architecture_with_equal_shapes_fails_loudly(tmp_path):
    """strength_scale changes no shape: the weight check alone would accept the checkpoint."""
    from crevdet.models import CrevNet
    from crevdet.checkpoint.weights import WeightMismatchError
    _, cfg = tiny_detector()
    model = dict(cfg.model.backbone.model.to_dict(), type='CrevNet')
    trained = dict(model, predictor=dict(model['predictor'], update='scaled_convex',
                                         strength_scale=1.0))
    net = CrevNet(**{k: v for k, v in trained.items() if k != 'type'})
    path = str(tmp_path / 'iter_1.pth')
    text = Config(dict(model=trained, teacher_forcing=True)).pretty_text
    torch.save(dict(meta=dict(cfg=text), state_dict=net.state_dict()), path)
    built = dict(model, predictor=dict(model['predictor'], update='scaled_convex',
                                       strength_scale=10.0))
    bb = CrevNetBackbone(model=built, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(WeightMismatchError,
                       match=r'trained with another model .*model\.predictor\.strength_scale: '
                       r'checkpoint 1\.0 vs config 10\.0'):
        bb.init_weights()
    # the same checkpoint through the pretraining config it came from loads
    bb = CrevNetBackbone(model=trained, init_cfg=dict(type='Pretrained', checkpoint=path))
    bb.init_weights()


def test_a_checkpoint_config_is_parsed_never_executed(tmp_path):
    from crevdet.checkpoint.stored_config import checkpoint_model
    flag = tmp_path / 'ran'
    text = f"model = dict(type='CrevNet', x=open({str(flag)!r}, 'w').write('x'))\n"
    assert checkpoint_model(dict(meta=dict(cfg=text))) is None
    assert not flag.exists()
    text = Config(dict(model=dict(type='CrevNet', blocks=(1, 2), predictor=dict(k=-1.5)))
                  ).pretty_text
    assert checkpoint_model(dict(meta=dict(cfg=text))) == dict(
        type='CrevNet', blocks=(1, 2), predictor=dict(k=-1.5))


@pytest.mark.parametrize('named', ['path', 'dict'])
def test_a_detector_checkpoint_with_its_config_initialises_the_backbone(tmp_path, named):
    """prefix='backbone.': the checkpoint's config is a detector's; its backbone's model (a
    pretraining config path or a dict) is what is compared."""
    from crevdet.checkpoint.weights import WeightMismatchError
    pre_path = 'configs/demo/pretrain_demo.py'
    pre = model_from_pretrain_config(pre_path)
    bb = CrevNetBackbone(model=pre)
    model = pre_path if named == 'path' else dict(bb.model_cfg)
    text = Config(dict(model=dict(type='SingleStageDetector', backbone=dict(
        type='CrevNetBackbone', model=model)))).pretty_text
    path = str(tmp_path / 'epoch_1.pth')
    torch.save(dict(meta=dict(cfg=text), state_dict={
        'backbone.' + k: v for k, v in bb.state_dict().items()}), path)
    loaded = CrevNetBackbone(model=pre, init_cfg=dict(type='Pretrained', checkpoint=path,
                                                      prefix='backbone.'))
    loaded.init_weights()
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(),
                                                 bb.state_dict().values()))
    if named == 'dict':  # the check still bites through the prefix
        other = dict(bb.model_cfg, predictor=dict(bb.model_cfg['predictor'], strength_scale=1.0))
        text = Config(dict(model=dict(type='SingleStageDetector', backbone=dict(
            type='CrevNetBackbone', model=other)))).pretty_text
        torch.save(dict(meta=dict(cfg=text), state_dict={
            'backbone.' + k: v for k, v in bb.state_dict().items()}), path)
        with pytest.raises(WeightMismatchError,
                           match='strength_scale: checkpoint 1.0 vs config 10.0'):
            CrevNetBackbone(model=pre, init_cfg=dict(type='Pretrained', checkpoint=path,
                                                     prefix='backbone.')).init_weights()


def test_pretrained_builds_the_backbone_from_the_checkpoints_own_config(tmp_path):
    """``pretrained=`` alone: the architecture is the model the run's config (meta['cfg'])
    names, and the weights load strictly from the same file."""
    from crevdet.checkpoint.weights import WeightMismatchError
    pre = Config.fromfile(osp.join(ROOT, 'configs', 'demo', 'pretrain_demo.py'))
    torch.manual_seed(3)
    src = CrevNetBackbone(model=pre.model.to_dict())
    path = str(tmp_path / 'iter_80.pth')
    torch.save(dict(meta=dict(cfg=pre.pretty_text),
                    state_dict={k[len('net.'):]: v for k, v in src.state_dict().items()}), path)
    bb = expanded_backbone(pretrained=path, num_frames=4, out_indices=(1, 2))
    assert bb.init_cfg == dict(type='Pretrained', checkpoint=path)
    assert bb.model_cfg == {k: v for k, v in pre.model.to_dict().items()
                            if k != 'data_preprocessor'}
    bb.init_weights()
    assert all(torch.equal(a, b) for a, b in zip(bb.state_dict().values(),
                                                 src.state_dict().values()))
    # a model given beside it is checked against the checkpoint's
    other = dict(bb.model_cfg, predictor=dict(bb.model_cfg['predictor'], strength_scale=7.0))
    with pytest.raises(WeightMismatchError, match=r'model\.predictor\.strength_scale'):
        CrevNetBackbone(model=other, pretrained=path).init_weights()
    with pytest.raises(ValueError, match='pretrained= or init_cfg, not both'):
        CrevNetBackbone(pretrained=path, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(ValueError, match='no model= .* or pretrained= .* given'):
        CrevNetBackbone()
    with pytest.raises(ValueError, match='without model=.*expand_pretrain_configs'):
        CrevNetBackbone(pretrained=path)  # the model is read when the config is loaded
    with pytest.raises(FileNotFoundError, match='nope.pth does not exist'):
        expanded_backbone(pretrained=str(tmp_path / 'nope.pth'))
    bare = str(tmp_path / 'bare.pth')
    torch.save(dict(state_dict={}), bare)
    with pytest.raises(ValueError, match='carries no model config'):
        expanded_backbone(pretrained=bare)


def test_out_norm_instance_standardises_every_returned_map_per_sample_and_channel():
    det, cfg = tiny_detector()
    model = cfg.model.backbone.model
    plain = CrevNetBackbone(model=model, out_indices=(1, 2))
    normed = CrevNetBackbone(model=model, out_indices=(1, 2), out_norm='instance')
    normed.load_state_dict(plain.state_dict())
    assert list(normed.state_dict()) == list(plain.state_dict())  # no parameters added
    x = torch.rand(2, 12, 32, 48) * 0.5 + 0.2
    with torch.no_grad():
        ref, out = plain(x), normed(x)
    for r, o in zip(ref, out):
        assert o.shape == r.shape
        live = r.flatten(2).std(-1) > 1e-3  # a constant map (e.g. an untrained mask) stays 0
        assert torch.allclose(o.mean((2, 3)), torch.zeros(()), atol=1e-4)
        assert torch.allclose(o.flatten(2).std(-1, unbiased=False)[live], torch.ones(()),
                              atol=1e-2)
        mu, sd = r.mean((2, 3), keepdim=True), r.flatten(2).std(-1, unbiased=False)
        assert torch.allclose(o[live], ((r - mu) / (sd[..., None, None] ** 2 + 1e-5).sqrt())[live],
                              atol=1e-4)
    with pytest.raises(ValueError, match="out_norm must be None, 'instance' or 'batch'"):
        CrevNetBackbone(model=model, out_norm='layer')


def test_out_norm_batch_learns_its_statistics_while_frozen_and_loads_pretraining_weights(
        tmp_path):
    det, cfg = tiny_detector()
    model = cfg.model.backbone.model
    plain = CrevNetBackbone(model=model, out_indices=(1, 2))
    path = str(tmp_path / 'iter_1.pth')
    torch.save(dict(meta=dict(), state_dict=plain.net.state_dict()), path)
    bb = CrevNetBackbone(model=model, out_indices=(1, 2), out_norm='batch',
                         init_cfg=dict(type='Pretrained', checkpoint=path))
    bb.init_weights()  # strict, yet the pretraining checkpoint has no out_bn statistics
    assert not [p for p in bb.parameters() if p.requires_grad]  # frozen, and no affine
    bb.train()
    assert not bb.net.training and bb.out_bn.training
    x = torch.rand(4, 12, 32, 48) * 0.5 + 0.2
    with torch.no_grad():
        ref, out = plain(x), bb(x)
    for r, o, bn in zip(ref, out, bb.out_bn):
        live = r.transpose(0, 1).flatten(1).std(-1) > 1e-3
        assert torch.allclose(o.mean((0, 2, 3)), torch.zeros(()), atol=1e-4)
        assert torch.allclose(o.transpose(0, 1).flatten(1).std(-1, unbiased=False)[live],
                              torch.ones(()), atol=1e-2)
        # running statistics moved by the momentum (0.1) towards the batch's
        assert torch.allclose(bn.running_mean, 0.1 * r.mean((0, 2, 3)), atol=1e-5)
    bb.eval()
    with torch.no_grad():
        o = bb(x)[0]
    bn = bb.out_bn[0]
    want = (ref[0] - bn.running_mean[:, None, None]) / (bn.running_var[:, None, None]
                                                       + bn.eps).sqrt()
    assert torch.allclose(o, want, atol=1e-4)
    # a detector checkpoint (prefix 'backbone.') carries the statistics, and they load
    dpath = str(tmp_path / 'det.pth')
    torch.save(dict(meta=dict(), state_dict={f'backbone.{k}': v
                                             for k, v in bb.state_dict().items()}), dpath)
    again = CrevNetBackbone(model=model, out_indices=(1, 2), out_norm='batch',
                            init_cfg=dict(type='Pretrained', checkpoint=dpath,
                                          prefix='backbone.'))
    again.init_weights()
    assert torch.equal(again.out_bn[1].running_var, bb.out_bn[1].running_var)


def test_out_scale_multiplies_each_returned_map():
    _, cfg = tiny_detector()
    model = cfg.model.backbone.model
    torch.manual_seed(0)
    plain = CrevNetBackbone(model=model, out_indices=(1, 2))
    scaled = CrevNetBackbone(model=model, out_indices=(1, 2), out_scale=(1.5, 3))
    scaled.load_state_dict(plain.state_dict())
    x = torch.rand(2, 12, 32, 48)
    with torch.no_grad():
        for r, o, v in zip(plain(x), scaled(x), (1.5, 3.0)):
            assert torch.allclose(o, r * v)
    with pytest.raises(ValueError, match=r'one positive multiplier per returned map \(out_indic'):
        CrevNetBackbone(model=model, out_indices=(1, 2), out_scale=(2.0,))
    with pytest.raises(ValueError, match='got \\(1.0, 0.0\\)'):
        CrevNetBackbone(model=model, out_indices=(1, 2), out_scale=(1.0, 0.0))
