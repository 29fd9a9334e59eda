"""Streaming inference: windows of a video reuse earlier encodings and give the windowed outputs;
tools/detect_video.py end to end."""
import os
import os.path as osp

import pytest
import torch

from conftest import ROOT, load_tool
from crevdet.models import CrevNetBackbone, VideoPredictorBackbone
from crevdet.checkpoint import expand_pretrain_configs

TINY_CREVNET = dict(in_channels=3, n_past=4, n_future=1,
                    autoencoder=dict(init_squeeze=2, blocks=(1, 1, 1), strides=(1, 2, 2),
                                     norm='none'),
                    predictor=dict(num_layers=2, hidden_channels=8, bias=False,
                                   update='scaled_convex'))
TINY_UNET = dict(type='UNetVideoPredictor', in_channels=3, n_past=4, n_future=1,
                 encoder=dict(channels=(8, 16, 16)),
                 predictor=dict(type='rpm', num_layers=2, hidden_channels=8))


def windows(video, t_frames=4):
    n, c, h, w = video.shape
    return [video[t - t_frames + 1:t + 1].reshape(1, t_frames * c, h, w)
            for t in range(t_frames - 1, n)]


@pytest.mark.parametrize('kind', ['crevnet', 'unet_rpm'])
def test_streaming_backbone_equals_windowed_and_encodes_each_frame_once(kind):
    torch.manual_seed(0)
    bb = CrevNetBackbone(model=TINY_CREVNET) if kind == 'crevnet' else \
        VideoPredictorBackbone(model=TINY_UNET)
    a, b = torch.rand(9, 3, 32, 48), torch.rand(6, 3, 32, 48)
    wins = windows(a) + windows(b)  # a cut: the second video shares nothing with the first
    with torch.no_grad():
        ref = [bb(w) for w in wins]
        bb.set_streaming(True)
        out = [bb(w) for w in wins]
    for r, o in zip(ref, out):
        for x, y in zip(r, o):
            assert torch.allclose(x, y, atol=1e-5, rtol=0)
    cache = bb.net.encoding_cache
    assert cache.misses == 9 + 6  # every frame encoded once, the cut included
    assert cache.hits == 4 * len(wins) - 15
    # batches of two streams and training mode keep the windowed result
    pair = torch.cat([wins[0], wins[7]])
    with torch.no_grad():
        both = bb(pair)
    assert all(torch.allclose(x, torch.cat([p, q]), atol=1e-5, rtol=0)
               for x, p, q in zip(both, ref[0], ref[7]))


@pytest.mark.parametrize('kind', ['crevnet', 'unet_rpm'])
def test_stateful_streaming_is_one_recurrence_over_the_video_since_the_last_cut(kind):
    torch.manual_seed(0)
    bb = CrevNetBackbone(model=TINY_CREVNET) if kind == 'crevnet' else \
        VideoPredictorBackbone(model=TINY_UNET)
    for p in bb.parameters():  # leave CrevNet's exact copy-last start: the state matters
        p.data.add_(torch.randn_like(p) * 0.05)
    a, b = torch.rand(8, 3, 32, 48), torch.rand(6, 3, 32, 48)

    def whole_prefix(video, t):  # the predictor run over frames 0..t from an empty state
        feats = bb.net.extract_feat(video[None, :t + 1])
        return feats['stages'][-1], torch.stack(feats['gates']).mean(0)
    with torch.no_grad():
        refs = [whole_prefix(v, t) for v in (a, b) for t in range(3, len(v))]
        windowed = [bb(w) for w in windows(a) + windows(b)]
        bb.set_streaming('stateful')
        out = [bb(w) for w in windows(a) + windows(b)]
    cache = bb.net.encoding_cache
    assert (cache.warm_ups, cache.carried_steps) == (2, 4 + 2)  # a full window after the cut
    assert cache.misses == 8 + 6  # still one encode per frame
    for (stage, gate), o, w in zip(refs, out, windowed):
        assert torch.allclose(o[-1][:, :stage.shape[1]], stage, atol=1e-5, rtol=0)
        assert torch.allclose(o[-1][:, stage.shape[1]:], gate, atol=1e-5, rtol=0)
    # first window of each video: the windowed computation; later ones differ from it
    for i in (0, 5):
        assert all(torch.allclose(x, y, atol=1e-5, rtol=0) for x, y in zip(out[i], windowed[i]))
    assert not torch.allclose(out[3][-1], windowed[3][-1], atol=1e-4)
    # horizon 2: two carried frames, then the window is warmed up in full (= windowed) again
    with torch.no_grad():
        bb.set_streaming('stateful', horizon=2)
        out = [bb(w) for w in windows(a)]
    assert (bb.net.encoding_cache.warm_ups, bb.net.encoding_cache.carried_steps) == (2, 3)
    assert all(torch.allclose(x, y, atol=1e-5, rtol=0) for x, y in zip(out[3], windowed[3]))
    assert torch.allclose(out[4][-1][:, :refs[4][0].shape[1]],
                          whole_prefix(a[3:], 4)[0], atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="streaming must be True/'exact', 'stateful' or False"):
        bb.set_streaming('carry')
    with pytest.raises(ValueError, match='horizon must be >= 1 or None'):
        bb.set_streaming('stateful', horizon=0)


def test_streaming_detector_gives_the_windowed_boxes_and_scores():
    from mmdet.structures import DetDataSample
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from crevdet.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, 'tests', 'configs', 'tiny_ssd_kitti.py'))
    cfg.model.backbone.init_cfg = None
    cfg.model.test_cfg.score_thr = 0.0
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        det = MODELS.build(expand_pretrain_configs(cfg).model).eval()
        det.init_weights()  # as the Runner does: mmdet's SSDNeck L2Norm weight is empty memory
    video = torch.randint(0, 255, (8, 3, 64, 96), dtype=torch.uint8)

    def run():
        outs = []
        for w in windows(video):
            data = det.data_preprocessor({'inputs': [w[0]], 'data_samples': [DetDataSample(
                metainfo=dict(img_shape=(64, 96), ori_shape=(64, 96), scale_factor=(1., 1.)))]})
            with torch.no_grad():
                outs.append(det.predict(data['inputs'], data['data_samples'])[0].pred_instances)
        return outs
    ref = run()
    det.backbone.set_streaming(True)
    out = run()
    assert det.backbone.net.encoding_cache.misses == 8
    for r, o in zip(ref, out):
        assert len(r.scores) > 0 and len(r.scores) == len(o.scores)
        assert torch.allclose(r.scores, o.scores, atol=1e-5)
        assert torch.allclose(r.bboxes, o.bboxes, atol=1e-4)


def tiny_detector_checkpoint(tmp_path):
    """(config, checkpoint) of the tiny SSD at its random initialisation."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from crevdet.registry import MODELS
    config = osp.join(ROOT, 'tests', 'configs', 'tiny_ssd_kitti.py')
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        det = MODELS.build(expand_pretrain_configs(cfg).model)
    # SSDNeck's L2Norm weight is torch.empty until init_weights: uninitialised memory, sometimes
    # NaN, which the tools' checkpoint check then (rightly) refuses.
    det.init_weights()
    ckpt = str(tmp_path / 'epoch_1.pth')
    torch.save(dict(state_dict=det.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('Car', 'Pedestrian', 'Cyclist')))), ckpt)
    return config, ckpt


def test_detect_video_tool_end_to_end(tmp_path):
    import json

    import cv2
    import numpy as np
    detect_video = load_tool('tools/detect_video.py')
    config, ckpt = tiny_detector_checkpoint(tmp_path)
    video = str(tmp_path / 'clip.avi')
    vw = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 10, (96, 64))
    rng = np.random.default_rng(0)
    for _ in range(7):
        vw.write(rng.integers(0, 255, (64, 96, 3), np.uint8))
    vw.release()
    out = str(tmp_path / 'out')
    detect_video.main([config, ckpt, video, '--out-dir', out, '--score-thr', '0.0'])
    labels = sorted(os.listdir(osp.join(out, 'labels')))
    assert labels == [f'{i:06d}.txt' for i in range(3, 7)]  # 4 frames per window
    line = open(osp.join(out, 'labels', labels[0])).readline().split()
    assert line[0] in ('Car', 'Pedestrian', 'Cyclist') and len(line) == 16
    summary = json.load(open(osp.join(out, 'summary.json')))
    assert summary['frames_detected'] == 4 and summary['mode'] == 'streaming'
    assert summary['frames_read'] == 7 and summary['gif_frames'] == 4
    for name in ('detections.mp4', 'detections.gif'):
        assert osp.getsize(osp.join(out, name)) > 0
    with pytest.raises(SystemExit, match='exists; refusing to overwrite'):
        detect_video.main([config, ckpt, video, '--out-dir', out])
    detect_video.main([config, ckpt, video, '--out-dir', out + '_stateful', '--stateful'])
    summary = json.load(open(osp.join(out + '_stateful', 'summary.json')))
    assert summary['frames_detected'] == 4 and summary['mode'] == 'stateful'
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video')
    with pytest.raises(SystemExit, match='cannot open video'):
        detect_video.main([config, ckpt, str(bad), '--out-dir', str(tmp_path / 'o2')])


def test_inference_autocast_keeps_float32_outputs_and_training_untouched(monkeypatch):
    torch.manual_seed(0)
    bb = CrevNetBackbone(model=TINY_CREVNET, inference_autocast='bf16')
    for p in bb.parameters():  # leave the exact copy-last start: non-trivial features
        p.data.add_(torch.randn_like(p) * 0.05)
    x = torch.rand(1, 12, 32, 48)
    with torch.no_grad():
        out = bb(x)
        bb.inference_autocast = None
        ref = bb(x)
    for o, r in zip(out, ref):
        assert o.dtype == torch.float32 and not torch.equal(o, r)  # it did run in bf16
        assert torch.allclose(o, r, atol=0.05, rtol=0.05)
    # 'auto': bf16 on a CPU with bf16 kernels (as above), float32 (exactly the reference) else
    from crevdet.models.backbones import inference_runtime
    bb.inference_autocast = 'auto'
    for native, expect in ((True, out), (False, ref)):
        monkeypatch.setattr(inference_runtime, '_cpu_has_native_bf16', lambda: native)
        with torch.no_grad():
            assert all(torch.equal(a, b) for a, b in zip(bb(x), expect))
    assert inference_runtime.auto_autocast(torch.device('meta')) is None
    with pytest.raises(ValueError, match="inference_autocast must be None, 'bf16', 'fp16' or"):
        CrevNetBackbone(model=TINY_CREVNET, inference_autocast='int8')
    with pytest.raises(ValueError, match='compile=True is an inference option for frozen'):
        CrevNetBackbone(model=TINY_CREVNET, frozen=False, compile=True)
    # compiling keeps the module tree: a detector saved after compiling has the usual keys
    bb = CrevNetBackbone(model=TINY_CREVNET, compile=True)
    keys = list(bb.state_dict())
    bb.runtime.compile_net(bb.net)  # lazy: nothing is compiled before the first call
    assert list(bb.state_dict()) == keys and not any('_orig_mod' in k for k in keys)
    assert 'forward' in vars(bb.net.predictor)  # the compiled forward, on the instance


def test_batched_streams_match_single_detection_and_det_fps_batch(tmp_path, capsys):
    import cv2
    import numpy as np

    from crevdet.apis import VideoDetector
    config = osp.join(ROOT, 'tests', 'configs', 'tiny_ssd_kitti.py')
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (64, 96, 3), np.uint8) for _ in range(10)]
    torch.manual_seed(0)
    det = VideoDetector(config, None, streaming=False,
                        cfg_options={'model.backbone.init_cfg': None,
                                     'model.test_cfg.score_thr': 0.0})
    wins = [w for _, w in det.windows(frames)]  # 7 windows of 4 frames
    ref = [det.detect(w) for w in wins]
    det.model.backbone.set_streaming(True, streams=2)
    # two streams (windows 0-2 and 3-5), detected side by side
    out = [o for k in range(3) for o in det.detect_batch([wins[k], wins[3 + k]])]
    order = [0, 3, 1, 4, 2, 5]
    for o, i in zip(out, order):
        assert len(o.scores) > 0 and len(o.scores) == len(ref[i].scores)
        assert torch.allclose(o.scores, ref[i].scores, atol=1e-5)
    cache = det.model.backbone.net.encoding_cache
    # frames 0-8 once each, except frame 3, in both first windows of one batch: encoded twice
    assert cache.size == 2 * 4 * det.num_frames and cache.misses == 10
    with pytest.raises(ValueError, match='streams must be >= 1'):
        det.model.backbone.set_streaming(True, streams=0)

    video = str(tmp_path / 'clip.avi')
    vw = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 10, (96, 64))
    for f in frames + frames:
        vw.write(f)
    vw.release()
    det_fps = load_tool('tools/analysis_tools/det_fps.py')
    det_fps.main([config, '--video', video, '--batch', '2', '--num-images', '4', '--warmup', '1',
                  '--cfg-options', 'model.backbone.init_cfg=None'])
    printed = capsys.readouterr().out
    assert printed.count('4 consecutive frames') == 2 and '2 stream(s), batch 2' in printed
    assert 'largest score difference 0.0e+00' in printed
    with pytest.raises(SystemExit, match='not enough for 4 stream'):
        det_fps.main([config, '--video', video, '--batch', '4', '--num-images', '4',
                      '--warmup', '3', '--cfg-options', 'model.backbone.init_cfg=None'])


def test_stream_ap_tool_measures_windowed_and_stateful_on_labelled_videos(tmp_path, capsys):
    import json

    from crevdet.datasets.synthetic_kitti import synthetic_labelled_videos
    (frames, labels), = synthetic_labelled_videos(1, 3, seed=1, size=(64, 160))
    assert len(frames) == len(labels) == 3 and frames[0].shape == (64, 160, 3)
    assert all(set(o) == {'type', 'truncated', 'occluded', 'bbox'} for lab in labels for o in lab)
    stream_ap = load_tool('projects/research/stream_ap.py')
    config, ckpt = tiny_detector_checkpoint(tmp_path)
    out = str(tmp_path / 'ap.json')
    stream_ap.main([config, ckpt, '--videos', '1', '--frames', '6', '--horizons', '1', '--json',
                    out, '--cfg-options', 'model.test_cfg.score_thr=0.0'])
    printed = capsys.readouterr().out
    assert '1 videos x 6 frames (seed 1), 3 detected frames' in printed
    res = json.load(open(out))['results']
    assert list(res) == ['windowed', 'stateful', 'stateful, horizon 1']
    assert res['windowed']['feature_difference'] == 0.0
    assert all(r['images_per_s'] > 0 and 'mAP_R40' in r for r in res.values())
    with pytest.raises(SystemExit, match='exists; refusing to overwrite'):
        stream_ap.main([config, ckpt, '--json', out])
    with pytest.raises(SystemExit, match="--frames must be >= the detector's window"):
        stream_ap.main([config, ckpt, '--frames', '3'])
