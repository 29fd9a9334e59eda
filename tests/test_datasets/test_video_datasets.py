"""Video datasets on tiny synthetic layouts built in a temp dir."""
import gzip
import os
import os.path as osp
import struct

import cv2
import numpy as np
import pytest
import torch

from crevdet.datasets import (KittiRawVideoDataset, MovingMNISTDataset, VideoFolderDataset,
                              resize_center_crop)
from conftest import fake_digits, make_kitti_raw, shared, write_idx


DRIVES = {'2011_09_26_drive_0001_sync': 14, '2011_09_26_drive_0005_sync': 12,
          '2011_09_26_drive_0070_sync': 12, '2011_09_26_drive_0002_sync': 3}


def test_kitti_raw_splits_counts_and_shapes(tmp_path):
    root = make_kitti_raw(str(tmp_path), DRIVES)
    train = KittiRawVideoDataset(root, clip_len=5, split='train', frame_size=(32, 48))
    # drive 0002 (3 frames) is skipped; only 0001 is a training drive: 14 - 5 + 1 clips
    assert train.drives == ['2011_09_26_drive_0001_sync'] and len(train) == 10
    item = train[3]
    assert item['inputs'].shape == (5, 3, 32, 48) and item['inputs'].dtype == torch.uint8
    # green channel holds the frame index: consecutive frames 3..7 (resizing keeps flat values)
    assert item['inputs'][:, 1, 5, 5].tolist() == [3, 4, 5, 6, 7]
    val = KittiRawVideoDataset(root, clip_len=5, split='val', clip_stride=5, frame_size=(32, 48))
    assert val.drives == ['2011_09_26_drive_0005_sync'] and len(val) == 2
    test = KittiRawVideoDataset(root, clip_len=5, split='test', clip_stride=5)
    assert test.drives == ['2011_09_26_drive_0070_sync']
    explicit = KittiRawVideoDataset(root, clip_len=3, drives=['2011_09_26_drive_0002_sync'])
    assert len(explicit) == 1


def test_kitti_raw_flip_is_consistent_across_clip(tmp_path):
    root = make_kitti_raw(str(tmp_path), {'2011_09_26_drive_0001_sync': 6})
    ds = KittiRawVideoDataset(root, clip_len=4, split='all', frame_size=(32, 48), flip_prob=1.0)
    x = ds[0]['inputs']
    # red (written as BGR channel 2, read back as RGB channel 0) marks the left half
    assert (x[:, 0, :, -1] == 200).all() and (x[:, 0, :, 0] == 0).all()
    assert ds[0]['data_samples'].flip is True


def test_kitti_raw_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='drive_<dddd>_sync/image_02/data'):
        KittiRawVideoDataset(str(tmp_path), clip_len=5)
    root = make_kitti_raw(str(tmp_path), {'2011_09_26_drive_0001_sync': 6})
    with pytest.raises(FileNotFoundError, match='selects no drive'):
        KittiRawVideoDataset(root, clip_len=5, split='val')
    bad = osp.join(root, '2011_09_26', '2011_09_26_drive_0001_sync', 'image_02', 'data',
                   '0000000002.png')
    with open(bad, 'wb') as f:
        f.write(b'not a png')
    ds = KittiRawVideoDataset(root, clip_len=5, split='all')
    with pytest.raises(OSError, match='0000000002.png'):
        ds[0]


def test_prednet_resize_crop():
    img = np.zeros((375, 1242, 3), np.uint8)
    img[:, 620:622] = 255  # centre column survives the centre crop
    out = resize_center_crop(img, (128, 160))
    assert out.shape == (128, 160, 3)
    assert out[:, 78:82].max() > 0 and out[:, :60].max() == 0
    assert resize_center_crop(img, (128, 416)).shape == (128, 416, 3)


def test_video_folder_from_mp4_and_frames(tmp_path):
    video = str(tmp_path / 'clips' / 'drive.mp4')
    os.makedirs(osp.dirname(video))
    vw = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 10, (64, 48))
    for i in range(12):
        vw.write(np.full((48, 64, 3), i * 20, np.uint8))
    vw.release()
    frames_dir = tmp_path / 'clips' / 'seq'
    frames_dir.mkdir()
    for i in range(6):
        cv2.imwrite(str(frames_dir / f'{i:04d}.png'), np.full((48, 64, 3), i * 40, np.uint8))
    ds = VideoFolderDataset(str(tmp_path / 'clips'), clip_len=4, frame_step=2, clip_stride=1,
                            frame_size=(32, 32))
    # mp4: 12 frames, span 7 -> starts 0,2,4 ; frames: 6 frames, span 7 -> none
    assert len(ds) == 3
    x = ds[1]['inputs']
    assert x.shape == (4, 3, 32, 32)
    levels = x[:, 0, 16, 16].float().tolist()  # frames 2,4,6,8 -> 40,80,120,160 (+codec noise)
    assert np.allclose(levels, [40, 80, 120, 160], atol=8)
    held_out = VideoFolderDataset(video, clip_len=2, frame_step=2, frame_range=(6, 12),
                                  frame_size=(32, 32))
    assert [c[0][1] for c in held_out.clips] == [6, 8]  # clips start inside the range only
    ds2 = VideoFolderDataset(str(frames_dir), clip_len=3, frame_size=None)
    assert len(ds2) == 4 and ds2[0]['inputs'][:, 0, 0, 0].tolist() == [0, 40, 80]
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no video files'):
        VideoFolderDataset(str(tmp_path / 'empty'))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        VideoFolderDataset(str(tmp_path / 'nothing'))


def test_frame_names_without_zero_padding_keep_their_order(tmp_path):
    # plain sorted() gives 1, 10, 11, 2, ...: false gaps and clips out of temporal order
    from crevdet.datasets.video_folder import FrameReader
    for i in range(1, 13):
        cv2.imwrite(str(tmp_path / f'{i}.png'), np.full((8, 8, 3), i * 20, np.uint8))
    ds = VideoFolderDataset(str(tmp_path), clip_len=3, frame_size=None)
    assert len(ds) == 10
    assert [ds[k]['inputs'][:, 0, 0, 0].tolist() for k in (0, 8)] == [[20, 40, 60],
                                                                    [180, 200, 220]]
    frames = list(FrameReader(str(tmp_path), 1, 12))
    assert [int(f[0, 0, 0]) for f in frames] == [20 * i for i in range(1, 13)]


def test_frame_range_counts_folder_positions_across_split_gaps(tmp_path):
    # frames 0-9 and 12-21 (10, 11 missing): two runs of 10; frame_range is over the folder
    for i in list(range(10)) + list(range(12, 22)):
        cv2.imwrite(str(tmp_path / f'{i:06d}.png'), np.full((8, 8, 3), i * 10, np.uint8))
    ds = VideoFolderDataset(str(tmp_path), clip_len=3, frame_size=None, on_gap='split',
                            frame_range=(12, 20))
    assert [m['start_frame'] for m in ds.clip_meta] == [12, 13, 14, 15, 16, 17]
    assert ds[0]['inputs'][:, 0, 0, 0].tolist() == [140, 150, 160]  # positions 12-14
    head = VideoFolderDataset(str(tmp_path), clip_len=3, frame_size=None, on_gap='split',
                              frame_range=(0, 12))
    assert [m['start_frame'] for m in head.clip_meta] == [0, 1, 2, 3, 4, 5, 6, 7]


def test_moving_mnist_generation(tmp_path):
    digits = fake_digits(20)
    path = str(tmp_path / 'digits-idx3-ubyte.gz')
    write_idx(path, digits)
    test = MovingMNISTDataset(path, test_mode=True, num_sequences=7, seed=3)
    a, b = test[5]['inputs'], test[5]['inputs']
    assert a.shape == (20, 1, 64, 64) and a.dtype == torch.uint8
    assert torch.equal(a, b) and not torch.equal(a, test[4]['inputs'])
    again = MovingMNISTDataset(path, test_mode=True, num_sequences=7, seed=3)
    assert torch.equal(again[5]['inputs'], a)  # reproducible across instances
    # digits move: consecutive frames differ, but every frame keeps digit pixels
    assert (a[1:] != a[:-1]).any(dim=(1, 2, 3)).all()
    assert (a.flatten(1).max(1).values > 0).all()
    train = MovingMNISTDataset(path, num_sequences=4)
    assert np.array_equal(train.digits, digits[:10]) and np.array_equal(test.digits, digits[10:])
    with pytest.raises(ValueError, match='not an MNIST idx3'):
        bad = str(tmp_path / 'bad.gz')
        with gzip.open(bad, 'wb') as f:
            f.write(b'\x00' * 40)
        MovingMNISTDataset(bad)
    seq = np.zeros((20, 3, 64, 64), np.uint8)
    seq[:, 1] = 7
    np.save(tmp_path / 'mnist_test_seq.npy', seq)
    npy = MovingMNISTDataset(npy_file=str(tmp_path / 'mnist_test_seq.npy'))
    assert len(npy) == 3 and int(npy[1]['inputs'].max()) == 7


def test_moving_mnist_rendered_on_device_is_the_cpu_clip(tmp_path):
    from mmengine.dataset import pseudo_collate

    from crevdet.models.data_preprocessors import VideoDataPreprocessor
    path = str(tmp_path / 'digits-idx3-ubyte.gz')
    write_idx(path, fake_digits(20))
    pre = VideoDataPreprocessor()
    for num_digits, size in ((2, 64), (3, 48)):
        kw = dict(test_mode=True, num_sequences=9, seed=5, num_digits=num_digits,
                  image_size=size)
        cpu = MovingMNISTDataset(path, **kw)
        dev = MovingMNISTDataset(path, render_on_device=True, **kw)
        item = dev[4]
        assert item['inputs'].shape == (num_digits, 28, 28)  # only the digits travel
        batch = pre(pseudo_collate([dev[i] for i in range(9)]), training=True)['inputs']
        want = torch.stack([cpu[i]['inputs'] for i in range(9)]).float() / 255
        assert batch.shape == (9, 20, 1, size, size) and torch.equal(batch, want)
    # stochastic: every frame shows digits, and the drawn post-bounce directions change the
    # clips against the same motion with plain reflections
    sto = MovingMNISTDataset(path, render_on_device=True, stochastic=True, num_sequences=8,
                             seq_len=40)
    items = [sto[i] for i in range(8)]
    clips = pre(pseudo_collate(items))['inputs']
    assert clips.shape == (8, 40, 1, 64, 64) and (clips.flatten(2).amax(2) > 0).all()
    for it in items:
        motion = dict(it['data_samples'].moving_mnist)
        del motion['bounce_vel']
        it['data_samples'].set_metainfo(dict(moving_mnist=motion))
    reflected = pre(pseudo_collate(items))['inputs']
    assert torch.equal(clips[:, 0], reflected[:, 0]) and not torch.equal(clips, reflected)
    det = MovingMNISTDataset(path, render_on_device=True, num_sequences=8, seq_len=40)
    assert det[0]['data_samples'].moving_mnist.keys() >= {'pos', 'vel', 'seq_len'}
    with pytest.raises(ValueError, match='fixed CPU-drawn'):
        MovingMNISTDataset(path, render_on_device=True, stochastic=True, test_mode=True)
    with pytest.raises(ValueError, match='cannot be used with npy_file'):
        MovingMNISTDataset(npy_file='x.npy', render_on_device=True)
    for mixed in ([dev[0], cpu[0]], [cpu[0], dev[0]]):
        with pytest.raises(ValueError, match='mixes Moving MNIST clips'):
            pre(pseudo_collate(mixed))


def test_bouncing_positions_reflect_and_redirect():
    from crevdet.datasets.moving_mnist_batch import bouncing_positions
    pos = torch.tensor([[[0.05, 0.5]]], dtype=torch.float64)
    vel = torch.tensor([[[-1.0, 0.0]]], dtype=torch.float64)
    # reflection: y goes 0.05 -> 0.05 (bounced off 0) -> 0.15 -> 0.25 (times 100, truncated)
    ys = bouncing_positions(pos, vel, 4, 100)[0, 0, :, 0].tolist()
    assert ys == [5, 5, 15, 25]
    # a drawn bounce direction that points into the wall is turned away from it
    bounce = torch.tensor([[[[-0.6, 0.8]] * 4]], dtype=torch.float64)  # (1, 1, T, 2)
    out = bouncing_positions(pos, vel, 4, 100, bounce_vel=bounce)[0, 0]
    assert out[:, 0].tolist() == [5, 5, 11, 17] and out[:, 1].tolist() == [50, 50, 58, 66]


def test_video_datasets_concatenate(tmp_path):
    from crevdet.registry import DATASETS
    for i in range(8):
        cv2.imwrite(str(tmp_path / f'{i:06d}.png'), np.full((8, 8, 3), i * 10, np.uint8))
    part = dict(type='VideoFolderDataset', data_root=str(tmp_path), clip_len=3, frame_size=None)
    both = DATASETS.build(dict(type='ConcatDataset', datasets=[
        dict(part, frame_range=(0, 4)), dict(part, frame_range=(4, 8))]))
    assert len(both) == 4 and both[2]['inputs'][:, 0, 0, 0].tolist() == [40, 50, 60]
    meta = both.metainfo  # ConcatDataset may add its own keys
    assert {k: meta[k] for k in ('clip_len', 'frame_size', 'channels')} == \
        dict(clip_len=3, frame_size=None, channels=3)


def test_real_video_report_split_builds():
    # the REPORT split of docs/benchmarks/real_video.md: the two highway-clip tails
    from mmengine.config import Config
    from crevdet.registry import DATASETS
    shared('driving_video', 'highway_clip.mp4')  # skips without the shared data
    from conftest import ROOT
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets/real_video_report.py'))
    cfg.test_dataloader.dataset.datasets = [  # the config's paths are from the repository root
        dict(d, data_root=osp.join(ROOT, d['data_root']))
        for d in cfg.test_dataloader.dataset.datasets]
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(ds) == 8 + 46 and ds[0]['inputs'].shape == (5, 3, 128, 160)


def test_real_mnist_digits():
    path = shared('mnist', 't10k-images-idx3-ubyte.gz')
    ds = MovingMNISTDataset(path, test_mode=True, num_sequences=2)
    assert len(ds.digits) == 5000 and ds[0]['inputs'].shape == (20, 1, 64, 64)


def test_real_highway_clip():
    path = shared('driving_video', 'highway_clip.mp4')
    ds = VideoFolderDataset(path, clip_len=11, frame_step=2, clip_stride=5)
    assert len(ds) >= 2 and ds[0]['inputs'].shape == (11, 3, 128, 160)


def write_seq(path, frames):
    """A minimal Norpix .seq: 1024-byte header + JPEG frames."""
    with open(path, 'wb') as f:
        f.write(b'\xfe\x00\x00\x00Norpix seq  ' + b'\x00' * (1024 - 16))
        for img in frames:
            ok, buf = cv2.imencode('.jpg', img)
            f.write(struct.pack('<I', len(buf)) + buf.tobytes() + b'\x00' * 12)


def test_caltech_seq_and_frames(tmp_path):
    from crevdet.datasets import CaltechPedestrianDataset
    tmp_path = tmp_path / 'caltech [copy]'  # glob characters in the root are literal
    os.makedirs(tmp_path / 'set06')
    write_seq(str(tmp_path / 'set06' / 'V000.seq'),
              [np.full((48, 64, 3), i * 8, np.uint8) for i in range(30)])
    os.makedirs(tmp_path / 'set07' / 'V001')
    for i in range(9):
        cv2.imwrite(str(tmp_path / 'set07' / 'V001' / f'I{i:05d}.png'),
                    np.full((48, 64, 3), i, np.uint8))
    ds = CaltechPedestrianDataset(str(tmp_path), clip_len=3, frame_size=(32, 32))
    # .seq: 30 frames -> every 3rd = 10 -> 3 non-overlapping clips; folder: 9 -> 3 -> 1 clip
    assert len(ds) == 4
    x = ds[1]['inputs']
    assert x.shape == (3, 3, 32, 32)
    # clip 1 holds source frames 9, 12, 15 -> levels 72, 96, 120 (JPEG: approximately)
    assert np.allclose(x[:, 0, 16, 16].float().numpy(), [72, 96, 120], atol=4)
    with pytest.raises(FileNotFoundError, match='setXX/VYYY.seq'):
        CaltechPedestrianDataset(str(tmp_path), sets=('set10', ))


def test_frames_are_read_upright_as_viewers_show_them(tmp_path):
    """A JPEG's EXIF orientation is applied (phone / dashcam frames); PNG alpha and gray stay."""
    from PIL import Image

    from crevdet.datasets.base_video import read_frame_raw
    img = np.zeros((20, 40, 3), np.uint8)
    img[:5, :10] = (255, 0, 0)  # a red block at the stored top left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(img).save(tmp_path / 'rot.jpg', exif=exif, quality=100)
    out = read_frame_raw(str(tmp_path / 'rot.jpg'))
    assert out.shape == (40, 20, 3)  # displayed upright: portrait
    assert out[:10, -5:, 0].mean() > 200 and out[:10, -5:, 2].mean() < 60  # now top right
    Image.fromarray(img).save(tmp_path / 'plain.jpg', quality=100)
    assert read_frame_raw(str(tmp_path / 'plain.jpg')).shape == (20, 40, 3)
    cv2.imwrite(str(tmp_path / 'rgba.png'), np.zeros((6, 8, 4), np.uint8))
    cv2.imwrite(str(tmp_path / 'gray.png'), np.zeros((6, 8), np.uint8))
    assert read_frame_raw(str(tmp_path / 'rgba.png')).shape == (6, 8, 4)
    assert read_frame_raw(str(tmp_path / 'gray.png')).shape == (6, 8, 1)
