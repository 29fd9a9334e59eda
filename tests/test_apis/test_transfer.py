"""The detection-transfer table's controls (crevdet/apis/transfer.py), the backbone's control
masks, the recipes' configs, and the full-size detection recipe training for 2 iterations."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import ROOT
from crevdet.apis.transfer import ENTRIES, entry_config, transfer_table
from crevdet.models.backbones import CrevNetBackbone
from crevdet.registry import MODELS, build_crevdet
from crevdet.checkpoint import expand_pretrain_configs

TINY = dict(in_channels=3, n_past=3, n_future=1,
            autoencoder=dict(init_squeeze=2, blocks=(1, 1), strides=(1, 2), norm='gn',
                             zero_init_residual=False),
            predictor=dict(num_layers=2, hidden_channels=8, bias=False, update='scaled_convex',
                           diff_input='only'))


def backbone(masks):
    torch.manual_seed(0)
    return CrevNetBackbone(model=dict(TINY), num_frames=4, out_indices=(0, 1), masks=masks)


def test_control_masks():
    x = torch.rand(2, 12, 32, 48)
    learned = backbone('learned')(x)
    zero = backbone('zero')(x)
    diff = backbone('frame_diff')(x)
    assert learned[-1].shape == zero[-1].shape == diff[-1].shape
    feat_c = CrevNetBackbone(model=dict(TINY), num_frames=4, out_indices=(0, 1),
                             gates='none').out_channels[-1]
    assert learned[-1].shape[1] > feat_c
    # the same weights: the features are equal, only the mask channels differ
    assert torch.equal(learned[-1][:, :feat_c], zero[-1][:, :feat_c])
    assert torch.equal(learned[-1][:, :feat_c], diff[-1][:, :feat_c])
    assert zero[-1][:, feat_c:].abs().max() == 0
    # hand-made masks: |target - previous| averaged over colours, pooled to the stride
    frames = x.view(2, 4, 3, 32, 48)
    want = torch.nn.functional.adaptive_avg_pool2d(
        (frames[:, 3] - frames[:, 2]).abs().mean(1, keepdim=True), diff[-1].shape[-2:])
    got = diff[-1][:, feat_c:]
    assert torch.allclose(got, want.expand_as(got), atol=1e-6)
    # a still target frame: zero hand-made masks
    still = frames.clone()
    still[:, 3] = still[:, 2]
    assert backbone('frame_diff')(still.view(2, 12, 32, 48))[-1][:, feat_c:].abs().max() == 0


def test_attention_masks_are_the_gates_before_the_mixing_strength():
    x = torch.rand(2, 12, 32, 48)
    learned, attention = backbone('learned'), backbone('attention')
    out_l, out_a = learned(x), attention(x)
    feat_c = out_l[-1].shape[1] - learned.net.gate_channels[0]
    assert torch.equal(out_l[-1][:, :feat_c], out_a[-1][:, :feat_c])  # the same features
    # at initialisation a = tanh(10 * 0) = 0: the learned masks are exactly zero, g is not
    assert out_l[-1][:, feat_c:].abs().max() == 0
    g = out_a[-1][:, feat_c:]
    assert ((g > 0) & (g < 1)).all() and g.std() > 0
    # a trained strength a: the learned masks are a * g, channel by channel (mean over RPMs)
    with torch.no_grad():
        for m in (learned, attention):
            for rpm in m.net.predictor.layers:
                rpm.alpha.fill_(0.05)
    a = torch.tanh(torch.tensor(0.5))
    assert torch.allclose(learned(x)[-1][:, feat_c:], a * attention(x)[-1][:, feat_c:],
                          atol=1e-6)
    # the predictor itself is unchanged: the same prediction either way
    frames = x.view(2, 4, 3, 32, 48)
    assert torch.equal(learned.net.rollout(frames, 3, 1)[0], attention.net.rollout(frames, 3, 1)[0])


def test_control_masks_bad_values():
    with pytest.raises(ValueError, match="masks must be 'learned', 'zero', 'frame_diff' or "
                       "'attention'"):
        backbone('flow')
    with pytest.raises(ValueError, match="gates='none' returns none"):
        CrevNetBackbone(model=dict(TINY), num_frames=4, gates='none', masks='zero')


def test_entry_configs():
    det = 'configs/demo/ssd_demo.py'
    opts = {'train_cfg.max_epochs': 3, 'param_scheduler.1.milestones': [2]}
    got = {e: entry_config(det, e, 'p.pth', '/data/obj/', opts, scratch_minutes=2.5)
           for e in ENTRIES}
    for e, cfg in got.items():
        assert cfg.train_dataloader.dataset.data_root == '/data/obj/'
        bb = cfg.model.backbone
        pre = e.startswith(('pretrained', 'finetuned'))
        assert (bb.init_cfg or {}).get('checkpoint') == ('p.pth' if pre else None), e
        assert bb.get('masks', 'learned') == {'random_frame_diff': 'frame_diff',
                                              'pretrained_no_masks': 'zero'}.get(e, 'learned')
        assert bb.get('frozen', True) is (e not in ('scratch', 'finetuned', 'finetuned_lr'))
    s = got['scratch']
    hook = s.custom_hooks[-1]
    assert hook.type == 'TrainTimeBudgetHook' and hook.minutes == 2.5
    # the step decay of the epoch schedule (here at epoch 2 of 3) at the same share of the time
    assert hook.lr_decay_at == pytest.approx(2 / 3)
    assert not any(p.type == 'MultiStepLR' for p in s.param_scheduler)
    assert got['pretrained'].train_cfg.max_epochs == 3
    # fine-tuning keeps the detector's own schedule (no time budget)
    assert got['finetuned'].train_cfg.max_epochs == 3 and not any(
        h.type == 'TrainTimeBudgetHook' for h in got['finetuned'].get('custom_hooks') or [])
    # (f): mmdet's fine-tuning convention, the backbone at a tenth of the rate, after warm-up
    f = got['finetuned_lr']
    assert f.optim_wrapper.paramwise_cfg.custom_keys['backbone'] == dict(lr_mult=0.1)
    assert f.param_scheduler[0].type == 'LinearLR' and f.train_cfg.max_epochs == 3
    assert 'paramwise_cfg' not in got['finetuned'].optim_wrapper
    with pytest.raises(ValueError, match='needs the pretraining checkpoint'):
        entry_config(det, 'pretrained', None)
    with pytest.raises(ValueError, match='wall-clock budget'):
        entry_config(det, 'scratch', None)
    with pytest.raises(ValueError, match='unknown transfer-table entry'):
        entry_config(det, 'imagenet', None)


def test_transfer_table_prints_margins():
    res = {'pretrained': {'kitti/mAP_R40': 30.0, 'kitti/Car_easy_R40': 50.0},
           'random': {'kitti/mAP_R40': 12.5}, 'scratch': {'kitti/mAP_R40': 31.0}}
    text = transfer_table(res)
    assert '| **mAP R40** | 30.00 | 12.50 | 31.00 |' in text
    assert '(a) random: **+17.50**' in text and '(d) scratch, end to end: **-1.00**' in text
    assert '| Car easy | 50.00 | n/a | n/a |' in text


def test_recipes_are_named_and_differ_only_where_documented():
    load = lambda p: Config.fromfile(osp.join(ROOT, p)).model  # noqa: E731
    pred, det = load('configs/_base_/models/crevnet_predict.py'), \
        load('configs/_base_/models/crevnet_detect.py')
    assert load('configs/_base_/models/crevnet.py') == pred  # the old name still works
    assert (det.autoencoder.norm, det.autoencoder.zero_init_residual) == ('gn', False)
    assert det.predictor.diff_input == 'only' and pred.predictor.get('diff_input') is None
    # full size = the paper's autoencoder and 8 RPMs; the demo differs only in sizes
    full = load('configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py')
    demo = load('configs/demo/pretrain_demo.py')
    assert full.autoencoder.blocks == (4, 5, 3) and full.predictor.num_layers == 8
    assert load('configs/pretrain_kitti_416x128.py') == full  # old path, same recipe
    sizes = {('autoencoder', 'blocks'), ('predictor', 'num_layers'),
             ('predictor', 'hidden_channels')}
    for part in ('autoencoder', 'predictor'):
        for k in set(full[part]) | set(demo[part]):
            if (part, k) not in sizes:
                assert full[part].get(k) == demo[part].get(k), (part, k)
    for k in set(full) - {'autoencoder', 'predictor'}:
        assert full[k] == demo[k], k
    # every full-size detector builds the detection recipe
    for cfg in ('ssd_crevnet-detect_kitti-416x128.py', 'retinanet_crevnet-detect_kitti-416x128.py',
                'faster-rcnn_crevnet-detect_kitti-416x128.py'):
        bb = Config.fromfile(osp.join(ROOT, 'configs', 'crevnet', cfg)).model.backbone
        assert bb.model == 'configs/crevnet/crevnet-detect_kitti-raw-128x416_4to1.py', cfg


def test_full_size_detection_recipe_trains_two_iterations(tmp_path):
    """configs/crevnet/ssd_crevnet-detect_kitti-416x128.py as shipped (full-size backbone),
    random backbone, two iterations on tiny synthetic data: the loss is finite and the head
    gets gradients while the frozen backbone does not."""
    from mmengine.registry import DefaultScope

    from crevdet.datasets.synthetic_kitti import make_synthetic_kitti
    data = make_synthetic_kitti(str(tmp_path / 'k'), seed=1, size=(94, 310), raw_drives=1,
                                raw_frames=5, det_train=2, det_val=1, camera='moving')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'crevnet',
                                   'ssd_crevnet-detect_kitti-416x128.py'))
    cfg.model.backbone.init_cfg = None
    ds_cfg = dict(cfg.train_dataloader.dataset, data_root=data['object'] + '/')
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('crevdet'):
        det = MODELS.build(expand_pretrain_configs(cfg).model)
        det.init_weights()  # as the Runner does: mmdet's SSDNeck L2Norm weight is empty memory
        from crevdet.registry import DATASETS
        ds = build_crevdet(DATASETS, ds_cfg)
    assert sum(p.numel() for p in det.backbone.parameters()) > 1e6  # the paper's size
    det.train()
    opt = torch.optim.Adam([p for p in det.parameters() if p.requires_grad], lr=1e-3)
    for step in range(2):
        batch = det.data_preprocessor({k: [ds[i][k] for i in range(2)]
                                       for k in ('inputs', 'data_samples')}, True)
        losses = det.loss(batch['inputs'], batch['data_samples'])
        loss, _ = det.parse_losses(losses)
        assert torch.isfinite(loss), losses
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert all(p.grad is None for p in det.backbone.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in det.bbox_head.parameters())
