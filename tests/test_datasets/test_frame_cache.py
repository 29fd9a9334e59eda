"""The frame cache (crevdet/datasets/frame_cache.py, tools/dataset_converters/build_frame_cache.py)
on tiny synthetic PNG folders and a video: cached clips equal decoded ones bit for bit, and a
stale cache is refused with an error naming it and what differs."""
import os
import os.path as osp
import pickle
import shutil

import cv2
import numpy as np
import pytest

from conftest import load_tool, make_kitti_raw
from crevdet.datasets import KittiRawVideoDataset, VideoFolderDataset
from crevdet.datasets.frame_cache import StaleFrameCacheError

DRIVES = {'2011_09_26_drive_0001_sync': 9, '2011_09_26_drive_0005_sync': 7}
FRAME = osp.join('2011_09_26', '2011_09_26_drive_0001_sync', 'image_02', 'data')


def build(*argv):
    load_tool('tools/dataset_converters/build_frame_cache.py').main([str(a) for a in argv])


@pytest.fixture
def raw(tmp_path):
    root = make_kitti_raw(str(tmp_path / 'raw'), DRIVES, size=(40, 132))
    for i in range(9):  # frames that differ inside a row too: resizing must be the same
        p = osp.join(root, FRAME, f'{i:010d}.png')
        img = cv2.imread(p)
        img[:, :, 1] = (np.arange(132) * (i + 1)) % 256
        cv2.imwrite(p, img)
    return root


def test_cached_clips_equal_decoded_clips(raw):
    build('kitti_raw', raw, '--frame-size', 24, 40)  # to <raw>/frame_cache: found by 'auto'
    assert osp.isfile(osp.join(raw, 'frame_cache', 'manifest.json'))
    kw = dict(clip_len=5, split='all', frame_size=(24, 40), flip_prob=0.0)
    cached, plain = KittiRawVideoDataset(raw, **kw), KittiRawVideoDataset(raw, frame_cache=None,
                                                                          **kw)
    assert cached.frame_cache is not None and plain.frame_cache is None
    assert len(cached) == len(plain) == 5 + 3
    for i in range(len(plain)):
        a, b = cached[i], plain[i]
        assert a['inputs'].dtype == b['inputs'].dtype and (a['inputs'] == b['inputs']).all()
        assert a['data_samples'].metainfo == b['data_samples'].metainfo
    assert cached[0]['inputs'][:, 1].float().std() > 0  # real content, not a blank cache
    # a strided split of the same cache (val drive only, clip_stride 2)
    val = KittiRawVideoDataset(raw, clip_len=3, split='val', clip_stride=2, frame_size=(24, 40))
    ref = KittiRawVideoDataset(raw, clip_len=3, split='val', clip_stride=2, frame_size=(24, 40),
                               frame_cache=None)
    assert val.frame_cache is not None
    assert all((val[i]['inputs'] == ref[i]['inputs']).all() for i in range(len(ref)))
    # dataloader workers get the dataset pickled: no memmap travels, it reopens lazily
    clone = pickle.loads(pickle.dumps(cached))
    assert not clone.frame_cache._arrays and (clone[3]['inputs'] == plain[3]['inputs']).all()


def test_stale_cache_is_refused_naming_what_differs(raw, tmp_path):
    cache = str(tmp_path / 'cache')
    build('kitti_raw', raw, '--frame-size', 24, 40, '--out', cache)
    kw = dict(clip_len=3, split='all', frame_cache=cache)
    assert KittiRawVideoDataset(raw, frame_size=(24, 40), **kw).frame_cache is not None
    with pytest.raises(StaleFrameCacheError, match=r'cache.*stale: it holds frames of size '
                       r'\[24, 40\].*asks for \[32, 40\]'):
        KittiRawVideoDataset(raw, frame_size=(32, 40), **kw)
    with pytest.raises(SystemExit, match='already holds a frame cache'):
        build('kitti_raw', raw, '--frame-size', 24, 40, '--out', cache)
    # a drive the cache never saw
    make_kitti_raw(str(tmp_path / 'raw'), {'2011_09_26_drive_0007_sync': 4})
    with pytest.raises(StaleFrameCacheError, match=r'drive_0007_sync.*is not in it'):
        KittiRawVideoDataset(raw, frame_size=(24, 40), **kw)
    shutil.rmtree(osp.join(raw, '2011_09_26', '2011_09_26_drive_0007_sync'))
    # a frame rewritten after the cache was built: size / mtime differ
    p = osp.join(raw, FRAME, '0000000003.png')
    cv2.imwrite(p, np.zeros((40, 132, 3), np.uint8))
    os.utime(p, ns=(1, 1))
    with pytest.raises(StaleFrameCacheError, match=r'0000000003.png changed since the cache'):
        KittiRawVideoDataset(raw, frame_size=(24, 40), **kw)
    # a frame added
    cv2.imwrite(osp.join(raw, FRAME, '0000000009.png'), np.zeros((40, 132, 3), np.uint8))
    with pytest.raises(StaleFrameCacheError, match=r'1 frame file\(s\) added.*0000000009.png'):
        KittiRawVideoDataset(raw, frame_size=(24, 40), **kw)
    # an explicit cache folder without a manifest (e.g. an interrupted build)
    with pytest.raises(FileNotFoundError, match='has no manifest.json'):
        KittiRawVideoDataset(raw, frame_size=(24, 40), clip_len=3, frame_cache=str(tmp_path))


def test_damaged_cache_is_refused_naming_the_file(raw, tmp_path):
    """A truncated or retyped array, or a manifest cut short: one clear error naming the file
    when the dataset opens the cache, not a bare numpy or JSON error later."""
    kw = dict(clip_len=3, split='all', frame_size=(24, 40))
    for case in ('truncated', 'float32', 'frames', 'manifest'):
        cache = str(tmp_path / case)
        build('kitti_raw', raw, '--frame-size', 24, 40, '--out', cache)
        npy = osp.join(cache, '2011_09_26__2011_09_26_drive_0001_sync__image_02__data.npy')
        assert osp.isfile(npy)
        arr = np.load(npy)
        if case == 'truncated':
            data = open(npy, 'rb').read()
            open(npy, 'wb').write(data[:len(data) - 100])
            match = r'_data\.npy \(source .*drive_0001_sync.*\) is truncated: \d+ bytes'
        elif case == 'float32':
            np.save(npy, arr.astype(np.float32))
            match = (r'_data\.npy .* holds float32 \(9, 24, 40, 3\), the manifest promises '
                     r'uint8 \(9, 24, 40, 3\)')
        elif case == 'frames':
            np.save(npy, arr[:5])
            match = r'holds uint8 \(5, 24, 40, 3\), the manifest promises uint8 \(9, 24, 40, 3\)'
        else:
            m = osp.join(cache, 'manifest.json')
            open(m, 'w').write(open(m).read()[:40])
            match = r'cache/manifest\.json is not readable JSON'.replace('cache', case)
        with pytest.raises(StaleFrameCacheError, match=match):
            KittiRawVideoDataset(raw, frame_cache=cache, **kw)


def test_video_folder_cache_covers_frames_and_videos(tmp_path):
    root = tmp_path / 'clips'
    (root / 'seq').mkdir(parents=True)
    for i in range(8):
        img = np.zeros((48, 64, 3), np.uint8)
        img[:, :, 0], img[:, :, 2] = i * 30, np.arange(64) * 3
        cv2.imwrite(str(root / 'seq' / f'{i:04d}.png'), img)
    vw = cv2.VideoWriter(str(root / 'drive.avi'), cv2.VideoWriter_fourcc(*'MJPG'), 10, (64, 48))
    for i in range(10):
        vw.write(np.full((48, 64, 3), i * 20, np.uint8))
    vw.release()
    build('video_folder', root, '--frame-size', 32, 32)
    kw = dict(clip_len=3, frame_step=2, frame_size=(32, 32))
    cached, plain = VideoFolderDataset(str(root), **kw), VideoFolderDataset(str(root),
                                                                            frame_cache=None, **kw)
    assert cached.frame_cache is not None
    assert len(cached) == len(plain) == 3 + 2  # video: 10 frames, span 5; folder: 8 frames
    assert any(isinstance(c[0], tuple) for c in cached.clips)  # a video clip is compared
    for i in range(len(plain)):
        assert (cached[i]['inputs'] == plain[i]['inputs']).all(), i
