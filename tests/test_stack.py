"""The pinned OpenMMLab stack works end to end: compiled mmcv ops, registries, tools, torchrun."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

import pytest
import torch

from conftest import ROOT, run_tool_ok
from conftest import TINY_PRETRAIN as TINY
from crevdet.checkpoint import expand_pretrain_configs


def test_mmcv_compiled_nms():
    from mmcv.ops import nms
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.7])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    assert dets.shape == (2, 5)


@pytest.mark.parametrize('scope', ['crevdet', 'mmdet'])
def test_mmdet_detector_builds_with_crevdet_backbone(scope):
    """scope 'mmdet': the plain mmdet config as written ('crevdet.' prefixed types);
    scope 'crevdet': crevdet's convention, unprefixed crevdet and mmdet types side by side."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmdet.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, 'tests', 'configs', 'retinanet_crevnet_tiny.py'))
    assert cfg.model._scope_ == 'mmdet'  # what mmdet:: inheritance sets
    if scope == 'crevdet':
        cfg.model._scope_ = 'crevdet'
        cfg.model.backbone.type = 'CrevNetBackbone'
        cfg.model.data_preprocessor.type = 'MultiFrameDetDataPreprocessor'
    with DefaultScope.overwrite_default_scope(scope):
        det = MODELS.build(expand_pretrain_configs(cfg).model)
    assert type(det).__name__ == 'RetinaNet' and type(det.backbone).__name__ == 'CrevNetBackbone'
    x = torch.rand(1, 12, 64, 96)  # 4 frames x 3 channels
    feats = det.extract_feat(x)
    assert len(feats) == 3 and feats[0].shape[-2:] == (16, 24)
    out = det.bbox_head(feats)
    assert len(out[0]) == 3
    assert not any(p.requires_grad for p in det.backbone.parameters())  # frozen by default


def test_train_two_iterations_writes_checkpoint_then_test_and_resume(kitti_raw, tmp_path):
    work = str(tmp_path / 'work')
    env = dict(CREVDET_TEST_DATA=kitti_raw)
    log = run_tool_ok(['tools/train.py', TINY, '--work-dir', work, '--tensorboard',
                    '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                    'custom_hooks.0.interval=2'], env)
    assert osp.isfile(osp.join(work, 'iter_2.pth')), log
    assert 'video/psnr' in log
    # TensorBoard (opt-in): scalars and the video-prediction grid as an image
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = glob.glob(osp.join(work, '*', 'vis_data', 'events.out.tfevents.*'))
    assert len(events) == 1, log
    acc = EventAccumulator(events[0], size_guidance={'images': 0})
    acc.Reload()
    assert 'benchmark_tiny' in acc.Tags()['images'] and 'loss' in acc.Tags()['scalars']
    assert glob.glob(osp.join(work, '*', 'vis_data', 'vis_image', 'benchmark_tiny_*.png'))
    dump = open(osp.join(work, 'tiny_pretrain_kitti.py')).read()
    # resume to 4 iterations: continues from iter 2 (the user's own checkpoint, trusted load)
    log = run_tool_ok(['tools/train.py', TINY, '--work-dir', work, '--resume'], env)
    assert 'resumed' in log.lower() and osp.isfile(osp.join(work, 'iter_4.pth')), log
    # the first run's config dump is kept; the resumed run's differs (resume, load_from)
    assert open(osp.join(work, 'tiny_pretrain_kitti.py')).read() == dump
    assert len(glob.glob(osp.join(work, 'tiny_pretrain_kitti_*.py'))) == 1
    assert glob.glob(osp.join(work, 'vis_benchmark', 'tiny_iter4.png'))
    assert glob.glob(osp.join(work, 'vis_benchmark', 'tiny_iter4.gif'))
    # test: weights-only load of the same checkpoint, metrics.json written
    test_dir = str(tmp_path / 'test')
    out = run_tool_ok(['tools/test.py', TINY, osp.join(work, 'iter_4.pth'), '--work-dir', test_dir],
                   env)
    metrics = json.load(open(glob.glob(osp.join(test_dir, '*', 'metrics.json'))[0]))
    assert {'video/mse', 'video/psnr', 'video/ssim', 'video/copy_last/psnr'} <= set(metrics)
    assert 'copy_last/psnr' in out and 'metrics written to' in out
    time.sleep(1)  # a second test run gets its own timestamp folder: nothing is replaced
    run_tool_ok(['tools/test.py', TINY, osp.join(work, 'iter_4.pth'), '--work-dir', test_dir], env)
    assert len(glob.glob(osp.join(test_dir, '*', 'metrics.json'))) == 2
    # predict on a video file with the config stored in the checkpoint
    import cv2
    import numpy as np
    video = str(tmp_path / 'clip.mp4')
    vw = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 10, (96, 64))
    for i in range(8):
        vw.write(np.full((64, 96, 3), 20 * i, np.uint8))
    vw.release()
    pred_dir = str(tmp_path / 'pred')
    out = run_tool_ok(['tools/predict.py', osp.join(work, 'iter_4.pth'), video, '--out-dir',
                    pred_dir], env)
    assert len(glob.glob(osp.join(pred_dir, 'frames', '*.png'))) == 8 - 3  # n_past = 3
    for name in ('side_by_side.mp4', 'side_by_side.gif', 'grid.png'):
        assert osp.getsize(osp.join(pred_dir, name)) > 0, name
    proc = subprocess.run([sys.executable, 'tools/predict.py', osp.join(work, 'iter_4.pth'),
                           video, '--out-dir', pred_dir], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 0 and 'refusing to overwrite' in proc.stderr


def test_train_rejects_missing_config():
    proc = subprocess.run([sys.executable, 'tools/train.py', 'configs/nope.py'], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "config file 'configs/nope.py' does not exist" in proc.stderr


def test_torchrun_two_process_cpu_training(kitti_raw, tmp_path):
    work = str(tmp_path / 'ddp')
    log = run_tool_ok(['-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_port=29531',
                    'tools/train.py', TINY, '--launcher', 'pytorch', '--work-dir', work,
                    '--cfg-options', 'train_cfg.max_iters=2', 'custom_hooks=[]'],
                   dict(CREVDET_TEST_DATA=kitti_raw, OMP_NUM_THREADS='1'))
    assert osp.isfile(osp.join(work, 'iter_2.pth')), log
    run_log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'Distributed training: True' in run_log and 'GPU number: 2' in run_log
    assert "device_ids=None" in run_log  # the CPU (gloo) wrapper, not device_ids=[LOCAL_RANK]


def test_setup_script_is_a_fast_noop_when_set_up():
    if not osp.isfile(osp.join(ROOT, '.venv', 'bin', 'python')):
        pytest.skip('not running from the project venv')
    t0 = time.time()
    out = subprocess.run(['bash', 'tools/setup_env.sh'], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'nothing to do' in out.stdout and time.time() - t0 < 60


@pytest.mark.parametrize('wrapper, real_var', [('cxx20.sh', 'CREVDET_REAL_CXX'),
                                               ('nvcc20.sh', 'CREVDET_REAL_NVCC')])
def test_compiler_wrappers_turn_mmcv_std_flags_into_cxx20(wrapper, real_var):
    # mmcv 2.1.0 passes -std=c++17 to g++ and nvcc; torch 2.14's headers need C++20
    env = dict(os.environ, **{real_var: 'echo'})
    out = subprocess.run(['bash', osp.join(ROOT, 'tools', 'setup', wrapper), '-O2', '-std=c++17',
                          '-I/a b', '-std=c++14', '-c', 'x.cu'], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ['-O2', '-std=c++20', '-I/a', 'b', '-std=c++20', '-c', 'x.cu']
