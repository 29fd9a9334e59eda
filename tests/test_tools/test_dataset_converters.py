"""tools/dataset_converters/kitti.py on a fake KITTI download (real id naming, files missing on
purpose) and on the shared real sample."""
import os
import os.path as osp
import zipfile

import cv2
import numpy as np
import pytest

from conftest import ROOT, load_tool, make_kitti_raw, shared

converter = load_tool('tools/dataset_converters/kitti.py')

TRAIN, VAL = ['000000', '000003', '000007'], ['000001', '000002']


def png(path, w=10, h=4):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(str(path), np.zeros((h, w, 3), np.uint8))


@pytest.fixture
def download(tmp_path):
    """image_2 + label_2 extracted to a folder, prev_2 as the official archive, a raw drive
    folder with a gap and a raw drive archive."""
    ext = tmp_path / 'downloads' / 'data_object'
    for i in TRAIN + VAL:
        png(ext / 'training' / 'image_2' / f'{i}.png')
        if i != '000003':  # a label missing on purpose
            os.makedirs(ext / 'training' / 'label_2', exist_ok=True)
            (ext / 'training' / 'label_2' / f'{i}.txt').write_text(
                'Car 0.00 0 -1.58 1.00 1.00 5.00 3.00 1.5 1.6 3.9 1.0 1.7 20.0 -1.5\n')
    prev = tmp_path / 'downloads' / 'prev'
    with zipfile.ZipFile(tmp_path / 'downloads' / 'data_object_prev_2.zip', 'w') as z:
        for i in TRAIN + VAL:
            for s in ('01', '02', '03'):
                if (i, s) == ('000007', '02'):
                    continue  # missing
                f = prev / f'{i}_{s}.png'
                png(f, w=12 if (i, s) == ('000001', '03') else 10)  # one of another size
                z.write(f, f'training/prev_2/{i}_{s}.png')
    raw = tmp_path / 'downloads' / 'raw' / '2011_09_26' / '2011_09_26_drive_0001_sync'
    for n in (0, 1, 2, 4, 5):  # frame 3 missing
        png(raw / 'image_02' / 'data' / f'{n:010d}.png')
    with zipfile.ZipFile(tmp_path / 'downloads' / '2011_09_26_drive_0002_sync.zip', 'w') as z:
        for n in range(4):
            f = tmp_path / 'downloads' / f'r{n}.png'
            png(f)
            z.write(f, f'2011_09_26/2011_09_26_drive_0002_sync/image_02/data/{n:010d}.png')
    return tmp_path / 'downloads'


def convert(download, out, *extra):
    argv = ['--object', str(download / 'data_object'), str(download / 'data_object_prev_2.zip'),
            '--raw', str(download / 'raw'), str(download / '2011_09_26_drive_0002_sync.zip'),
            '--out-root', str(out), '--subset'] + list(extra)
    try:
        converter.main(argv)
        return 0
    except SystemExit as e:
        return e.code


def test_converter_builds_layout_and_reports_exactly_the_missing_files(download, tmp_path,
                                                                       capsys):
    out = tmp_path / 'data'
    assert convert(download, out) == 1  # incomplete: exit status 1
    obj = out / 'kitti' / 'object'
    assert osp.islink(obj / 'training' / 'image_2') and osp.islink(obj / 'training' / 'label_2')
    assert osp.isfile(obj / 'training' / 'prev_2' / '000000_01.png')  # extracted
    assert (obj / 'ImageSets' / 'train.txt').read_text().split() == TRAIN
    assert (obj / 'ImageSets' / 'val.txt').read_text().split() == VAL
    assert (obj / 'ImageSets' / 'trainval.txt').read_text().split() == sorted(TRAIN + VAL)
    assert (obj / 'missing_files.txt').read_text().splitlines() == [
        'training/prev_2/000001_03.png (size 12x4, image 10x4)',
        'training/label_2/000003.txt',
        'training/prev_2/000007_02.png',
        '2011_09_26_drive_0001_sync/image_02/data/0000000003.png']
    text = capsys.readouterr().out
    assert '| image_2 | 5 | 5 | 0 |' in text and '| prev_2 | 15 | 13 | 2 |' in text
    assert '| 2011_09_26_drive_0001_sync | 5 | 1 | 10x4 |' in text
    assert '| 2011_09_26_drive_0002_sync | 4 | 0 | 10x4 |' in text
    assert osp.islink(out / 'kitti_raw' / '2011_09_26' / '2011_09_26_drive_0001_sync')
    # a second run changes nothing and succeeds as far as the files allow; sources untouched
    assert convert(download, out) == 1
    assert osp.isfile(download / 'data_object' / 'training' / 'image_2' / '000000.png')


def test_converter_never_overwrites_and_dry_run_writes_nothing(download, tmp_path, capsys):
    dry = tmp_path / 'dry'
    convert(download, dry, '--dry-run')
    assert not osp.exists(dry)
    text = capsys.readouterr().out
    assert 'would link 3 folder(s), extract 18 file(s)' in text
    # the zipped drive is counted from its archive (its frame size is known only once extracted)
    assert '| 2011_09_26_drive_0001_sync | 5 | 1 | 10x4 |' in text
    assert '| 2011_09_26_drive_0002_sync | 4 | 0 | - |' in text
    out = tmp_path / 'data'
    os.makedirs(out / 'kitti' / 'object' / 'training' / 'image_2')  # the user's own folder
    with pytest.raises(SystemExit, match=r'image_2 exists and is not a link to .*not overwriting'):
        converter.main(['--object', str(download / 'data_object'), '--out-root', str(out)])
    with pytest.raises(SystemExit, match='holds no training/'):
        converter.main(['--object', str(tmp_path), '--out-root', str(out)])


def test_full_split_counts_every_standard_id(download, tmp_path, capsys):
    code = None
    try:
        converter.main(['--object', str(download / 'data_object'), '--out-root',
                        str(tmp_path / 'o')])
    except SystemExit as e:
        code = e.code
    assert code == 1
    text = capsys.readouterr().out
    assert 'KITTI object, 3712 train + 3769 val ids' in text
    assert '| image_2 | 7481 | 5 | 7476 |' in text


def test_converter_on_the_shared_sample_gives_a_layout_the_dataset_reads(tmp_path):
    from crevdet.datasets import KittiDetDataset, KittiRawVideoDataset
    src, raw = shared('kitti_object_sample'), shared('kitti_raw_sample')
    try:
        converter.main(['--object', src, '--raw', raw, '--out-root', str(tmp_path), '--subset'])
    except SystemExit as e:
        assert e.code == 1  # the sample has no prev_2 frames
    ds = KittiDetDataset(data_root=str(tmp_path / 'kitti' / 'object') + '/',
                         ann_file='ImageSets/train.txt', missing_prev='repeat', pipeline=[])
    assert len(ds) == 26 and ds.num_repeated == 26
    video = KittiRawVideoDataset(str(tmp_path / 'kitti_raw'), clip_len=5, split='all')
    assert len(video) == 78 - 4


def test_browse_dataset_draws_detection_samples_and_video_clips(tmp_path):
    browse_dataset = load_tool('tools/analysis_tools/browse_dataset.py')

    from crevdet.datasets.synthetic_kitti import make_synthetic_kitti
    root = make_synthetic_kitti(str(tmp_path / 'kitti'), seed=1, size=(94, 310), raw_drives=1,
                                raw_frames=6, det_train=3, det_val=2)
    out = tmp_path / 'det'
    browse_dataset.main([osp.join(ROOT, 'tests', 'configs', 'tiny_ssd_kitti.py'), '--num', '2',
                         '--out-dir', str(out), '--cfg-options',
                         f'train_dataloader.dataset.data_root={root["object"]}/'])
    pics = sorted(os.listdir(out))
    assert len(pics) == 2
    img = cv2.imread(str(out / pics[0]))
    assert img.shape == (128 + 2 * 18, 4 * 416 + 3 * 4, 3)  # 4 frames after Resize, 2 captions
    raw = make_kitti_raw(str(tmp_path / 'raw'), {'2011_09_26_drive_0001_sync': 8})
    out = tmp_path / 'clips'
    browse_dataset.main([osp.join(ROOT, 'tests', 'configs', 'tiny_pretrain_kitti.py'), '--num',
                         '1', '--out-dir', str(out), '--cfg-options',
                         f'train_dataloader.dataset.data_root={raw}'])
    img = cv2.imread(str(out / os.listdir(out)[0]))
    assert img.shape == (32 + 2 * 18, 5 * 48 + 4 * 4, 3)  # 5 frames of 32x48
    with pytest.raises(SystemExit, match='exists; refusing to overwrite'):
        browse_dataset.main([osp.join(ROOT, 'tests', 'configs', 'tiny_pretrain_kitti.py'),
                             '--out-dir', str(out)])
