"""Detection transfer: KITTI object data with previous frames, multi-frame transforms, SSD fix,
end-to-end training/testing through the tools."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT, TINY_SSD, run_tool_ok, shared
from crevdet.datasets import KittiDetDataset
from crevdet.datasets.synthetic_kitti import make_synthetic_kitti
from crevdet.registry import MODELS, TRANSFORMS
from crevdet.checkpoint import expand_pretrain_configs


@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synth') / 'kitti')
    return make_synthetic_kitti(root, seed=1, size=(94, 310), raw_drives=2, raw_frames=6,
                                det_train=6, det_val=4)


def test_synthetic_data_is_deterministic_and_complete(synth, tmp_path):
    again = make_synthetic_kitti(str(tmp_path / 'k'), seed=1, size=(94, 310), raw_drives=2,
                                 raw_frames=6, det_train=6, det_val=4)
    for rel in ('training/image_2/000003.png', 'training/prev_2/000003_01.png',
                'training/label_2/000003.txt'):
        a = open(osp.join(synth['object'], rel), 'rb').read()
        assert a == open(osp.join(again['object'], rel), 'rb').read()
    labels = ''.join(open(p).read() for p in glob.glob(
        osp.join(synth['object'], 'training', 'label_2', '*.txt')))
    assert 'Car' in labels and len(glob.glob(osp.join(synth['raw'], '*', '*', 'image_02',
                                                      'data', '*.png'))) == 12
    with pytest.raises(FileExistsError, match='not empty'):
        make_synthetic_kitti(synth['object'])


def test_kitti_det_dataset(synth):
    ds = KittiDetDataset(data_root=synth['object'], ann_file='ImageSets/train.txt', pipeline=[])
    assert len(ds) == 6
    info = ds.get_data_info(0)
    assert [osp.basename(p) for p in info['frame_paths']] == \
        ['000000_01.png', '000000_02.png', '000000_03.png', '000000.png']
    classes = ds.metainfo['classes']
    kept = [o for o in info['kitti_objects'] if o['type'] in classes]
    assert len(info['instances']) == len(kept)
    assert all({'truncated', 'occluded', 'bbox', 'type'} <= set(o) for o in info['kitti_objects'])
    flipped = KittiDetDataset(data_root=synth['object'], ann_file='ImageSets/train.txt',
                              prev_order='01_closest', num_prev=2, pipeline=[])
    assert [osp.basename(p) for p in flipped.get_data_info(0)['frame_paths']] == \
        ['000000_02.png', '000000_01.png', '000000.png']


def test_missing_prev_frames(synth, tmp_path):
    import shutil
    root = str(tmp_path / 'obj')
    shutil.copytree(synth['object'], root)
    os.remove(osp.join(root, 'training', 'prev_2', '000002_01.png'))
    with pytest.raises(FileNotFoundError, match=r"000002_01\.png.*data_object_prev_2"):
        KittiDetDataset(data_root=root, ann_file='ImageSets/train.txt', pipeline=[])
    ds = KittiDetDataset(data_root=root, ann_file='ImageSets/train.txt', pipeline=[],
                         missing_prev='repeat')
    assert ds.num_repeated == 1
    assert ds.get_data_info(2)['frame_paths'] == [ds.get_data_info(2)['img_path']] * 4


def test_multi_frame_geometry_is_shared(synth):
    ds = KittiDetDataset(data_root=synth['object'], ann_file='ImageSets/train.txt', pipeline=[
        dict(type='LoadMultiFrameImages'), dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=(208, 64), keep_ratio=False)])
    flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))
    r = ds[0]
    img, boxes = r['img'].copy(), r['gt_bboxes'].tensor.clone()
    assert img.shape == (64, 208, 12) and r['num_frames'] == 4
    out = flip.transform(dict(r, img=r['img'].copy(), gt_bboxes=r['gt_bboxes'].clone()))
    assert np.array_equal(out['img'], img[:, ::-1])  # every frame flipped, channels untouched
    assert torch.allclose(out['gt_bboxes'].tensor[:, 0], 208 - boxes[:, 2])
    # photometric distortion: one draw for all frames (identical frames stay identical)
    same = np.concatenate([img[..., 9:12]] * 4, axis=2)
    photo = TRANSFORMS.build(dict(type='MultiFramePhotoMetricDistortion'))
    for _ in range(3):
        res = photo.transform(dict(img=same.copy()))['img']
        assert all(np.array_equal(res[..., :3], res[..., k:k + 3]) for k in (3, 6, 9))


def _tiny_ssd(head_type):
    from mmengine.config import Config
    cfg = Config.fromfile(TINY_SSD)
    cfg.model.bbox_head.type = head_type
    det = MODELS.build(expand_pretrain_configs(cfg).model)
    det.init_weights()  # as the Runner does: mmdet's SSDNeck L2Norm weight is empty memory
    return det


def test_ssd_predict_fix():
    from mmdet.structures import DetDataSample
    x = torch.rand(1, 12, 128, 416)
    sample = DetDataSample(metainfo=dict(img_shape=(128, 416), ori_shape=(128, 416),
                                         scale_factor=(1.0, 1.0)))
    det = _tiny_ssd('FixedSSDHead').eval()
    out = det.predict(x, [sample])
    assert out[0].pred_instances.bboxes.shape[1] == 4
    # crevdet 0.1's name builds the same class (old configs and checkpoint metas)
    assert type(_tiny_ssd('KittiSSDHead').bbox_head) is type(det.bbox_head)
    # pins the upstream bug this class exists for; if mmdet fixes it, this tells us
    with pytest.raises(AttributeError, match='loss_cls'):
        _tiny_ssd('SSDHead').eval().predict(x, [DetDataSample(metainfo=sample.metainfo)])


def test_backbone_loads_pretraining_checkpoint(tmp_path):
    from crevdet.models import CrevNet, CrevNetBackbone
    kw = dict(in_channels=3, n_past=3, n_future=1, autoencoder=dict(blocks=(1, 1, 1)),
              predictor=dict(num_layers=2, hidden_channels=8))
    torch.manual_seed(0)
    net = CrevNet(**kw)
    path = str(tmp_path / 'pre.pth')
    torch.save({'state_dict': net.state_dict(), 'meta': {'iter': 1}}, path)
    bb = CrevNetBackbone(model=kw, init_cfg=dict(type='Pretrained', checkpoint=path))
    bb.init_weights()
    for k, v in net.state_dict().items():
        assert torch.equal(bb.net.state_dict()[k], v), k
    x = torch.rand(1, 12, 64, 96)
    feats = bb(x)
    assert [f.shape[1] for f in feats] == list(bb.out_channels)
    assert [x.shape[-1] // f.shape[-1] for f in feats] == list(bb.strides)
    assert not bb.training and all(not p.requires_grad for p in bb.parameters())


def test_ssd_train_and_test_end_to_end(synth, tmp_path):
    env = dict(CREVDET_TEST_DATA=synth['object'] + '/')
    work = str(tmp_path / 'ssd')
    run_tool_ok(['tools/train.py', TINY_SSD, '--work-dir', work], env)
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    test_dir = str(tmp_path / 'test')
    dump = str(tmp_path / 'dets' / 'detections.json')
    out = run_tool_ok(['tools/test.py', TINY_SSD, ckpt, '--work-dir', test_dir, '--show-dir', 'vis',
                    '--out', str(tmp_path / 'dets.pkl'), '--dump-detections', dump], env)
    metrics = json.load(open(glob.glob(osp.join(test_dir, '*', 'metrics.json'))[0]))
    assert 'kitti/mAP_R40' in metrics and 'kitti/Car_moderate_R11' in metrics
    # the detections file holds what the metric evaluated: the same AP from it alone
    from crevdet.evaluation import kitti_eval, load_detections
    dumped = load_detections(dump)
    assert dumped['img_ids'] == [f'{i:06d}' for i in range(6, 10)]
    again = kitti_eval(dumped['gt'], dumped['det'], dumped['classes'])
    assert {f'kitti/{k}': v for k, v in again.items()} == pytest.approx(
        {k: v for k, v in metrics.items() if k.startswith('kitti/')})
    proc = subprocess.run([sys.executable, 'tools/test.py', TINY_SSD, ckpt, '--dump-detections',
                           dump], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, **env))
    assert proc.returncode != 0 and 'exists already; refusing to overwrite it' in proc.stderr
    assert 'KITTI 2D AP' in out and osp.isfile(str(tmp_path / 'dets.pkl'))
    assert glob.glob(osp.join(test_dir, '*', 'vis', '*.png'))
    # submission files, and no silent overwrite of an earlier submission
    sub = str(tmp_path / 'submission')
    out = run_tool_ok(['tools/test.py', TINY_SSD, ckpt, '--work-dir', test_dir, '--format-only',
                    '--outfile-prefix', sub], env)
    assert 'submission files written' in out
    assert sorted(os.listdir(sub)) == [f'{i:06d}.txt' for i in range(6, 10)]
    for name in os.listdir(sub):
        assert all(len(ln.split()) == 16 for ln in open(osp.join(sub, name)).read().splitlines())
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', TINY_SSD, ckpt, '--work-dir', test_dir,
         '--format-only', '--outfile-prefix', sub], cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ, **env))
    assert proc.returncode != 0 and 'submission is never written over another' in proc.stderr


def test_real_kitti_sample_end_to_end(tmp_path):
    src = shared('kitti_object_sample', 'training')
    root = tmp_path / 'kitti'
    os.makedirs(root / 'ImageSets')
    os.symlink(src, root / 'training')
    ids = sorted(osp.splitext(f)[0] for f in os.listdir(osp.join(src, 'image_2')))
    (root / 'ImageSets' / 'train.txt').write_text('\n'.join(ids[:8]) + '\n')
    (root / 'ImageSets' / 'val.txt').write_text('\n'.join(ids[8:12]) + '\n')
    env = dict(CREVDET_TEST_DATA=str(root) + '/')
    opts = ['--cfg-options', 'train_dataloader.dataset.missing_prev=repeat',
            'val_dataloader.dataset.missing_prev=repeat',
            'test_dataloader.dataset.missing_prev=repeat']
    work = str(tmp_path / 'work')
    log = run_tool_ok(['tools/train.py', TINY_SSD, '--work-dir', work] + opts, env)
    assert 'target frame is repeated' in log
    out = run_tool_ok(['tools/test.py', TINY_SSD, osp.join(work, 'epoch_1.pth'), '--work-dir',
                    str(tmp_path / 'test')] + opts, env)
    metrics = json.load(open(glob.glob(str(tmp_path / 'test' / '*' / 'metrics.json'))[0]))
    assert 'kitti/Car_moderate_R40' in metrics, out[-2000:]


@pytest.mark.parametrize('config,backbone', [
    ('retinanet_crevnet_kitti.py', 'CrevNetBackbone'),
    ('faster_rcnn_crevnet_kitti.py', 'CrevNetBackbone'),
    ('ssd_crevnet_kitti.py', 'CrevNetBackbone'),
    ('crevnet/ssd_crevnet-detect_kitti-416x128.py', 'CrevNetBackbone'),
    ('crevnet/retinanet_crevnet-detect_kitti-416x128.py', 'CrevNetBackbone'),
    ('crevnet/faster-rcnn_crevnet-detect_kitti-416x128.py', 'CrevNetBackbone'),
    ('ssd_unet_rpm_kitti.py', 'VideoPredictorBackbone'),
    ('ssd_srvp_kitti.py', 'VideoPredictorBackbone'),
    ('ssd_vqvae_kitti.py', 'VideoPredictorBackbone'),
    ('demo/ssd_unet_rpm_demo.py', 'VideoPredictorBackbone'),
    ('demo/ssd_srvp_demo.py', 'VideoPredictorBackbone'),
    ('demo/ssd_vqvae_demo.py', 'VideoPredictorBackbone')])
def test_shipped_detector_configs_build_and_predict(config, backbone):
    """Any mmdet detector by config alone: mmdet's own RetinaNet / Faster R-CNN configs
    (inherited with mmdet::) and SSD, on the frozen CrevNet backbone and on the other pretraining
    methods' encoders (UNet + RPM, SRVP, video VQ-VAE)."""
    from mmdet.structures import DetDataSample
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    cfg.model.backbone.init_cfg = None  # no pretraining checkpoint in tests
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        det = MODELS.build(expand_pretrain_configs(cfg).model).eval()
        det.init_weights()  # as the Runner does: mmdet's SSDNeck L2Norm weight is empty memory
    assert type(det.backbone).__name__ == backbone
    data = det.data_preprocessor({'inputs': [torch.randint(0, 255, (12, 128, 416),
                                                           dtype=torch.uint8)],
                                  'data_samples': [DetDataSample(metainfo=dict(
                                      img_shape=(128, 416), ori_shape=(375, 1242),
                                      scale_factor=(416 / 1242, 128 / 375)))]})
    with torch.no_grad():
        out = det.predict(data['inputs'], data['data_samples'])
    boxes = out[0].pred_instances.bboxes
    assert boxes.shape[1] == 4
    if len(boxes):  # rescaled to the original image
        assert float(boxes[:, 2].max()) <= 1242 + 1 and float(boxes[:, 3].max()) <= 375 + 1


@pytest.mark.parametrize('config,model', [
    ('ssd_srvp_kitti.py', "dict(nf=8, nh=16, ny=4, nz=4, mlp_hidden=16, mlp_layers=2)"),
    ('ssd_vqvae_kitti.py', "dict(vqvae=dict(nh=16, code_dim=8, num_codes=16, num_res=1))")])
def test_other_pretraining_encoders_train_ssd_end_to_end(synth, tmp_path, config, model):
    """The SRVP / video VQ-VAE detection configs train and validate through tools/train.py."""
    channels = (16, 32) if 'srvp' in config else (16, 16)
    # a shrunk pretraining config; the detector names it, as the shipped ones name theirs
    pre = tmp_path / f'tiny_pretrain_{config}'
    pre_base = config.replace('ssd_', 'pretrain_').replace('_kitti', '_kitti_416x128')
    pre.write_text(f"_base_ = '{osp.join(ROOT, 'configs', pre_base)}'\nmodel = {model}\n")
    cfg = tmp_path / f'tiny_{config}'
    cfg.write_text(
        f"_base_ = '{osp.join(ROOT, 'configs', config)}'\n"
        f"data_root = '{synth['object']}/'\n"
        f"model = dict(backbone=dict(model='{pre}', init_cfg=None),\n"
        f"             neck=dict(in_channels={channels}, out_channels={channels} + (32, 32, 16)),\n"
        f"             bbox_head=dict(in_channels={channels} + (32, 32, 16)))\n"
        "_loader = dict(batch_size=2, num_workers=0, persistent_workers=False)\n"
        "train_dataloader = dict(**_loader, dataset=dict(data_root=data_root))\n"
        "val_dataloader = dict(**_loader, dataset=dict(data_root=data_root))\n"
        "test_dataloader = val_dataloader\n"
        "train_cfg = dict(max_epochs=1, val_interval=1)\n"
        "default_hooks = dict(logger=dict(interval=1))\n")
    log = run_tool_ok(['tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'w')], {})
    assert 'kitti/mAP_R40' in log and osp.isfile(str(tmp_path / 'w' / 'epoch_1.pth'))
