"""tools/dataset_converters/kitti.py never writes outside --out-root (issue 32): crafted archives
with climbing (``..``), absolute and symbolic-link members, a second run that would write through
a link into the user's own drive folder, and archives that are no (readable) zip."""
import io
import os
import os.path as osp
import stat
import tarfile
import zipfile

import cv2
import numpy as np
import pytest

from conftest import load_tool

converter = load_tool('tools/dataset_converters/kitti.py')
DRIVE = '2011_09_26/2011_09_26_drive_0001_sync'


def _png_bytes():
    return cv2.imencode('.png', np.zeros((4, 10, 3), np.uint8))[1].tobytes()


def _drive_zip(path, extra=(), frames=3):
    """A raw-drive archive with ``frames`` good frames plus ``extra`` (name, data[, mode])."""
    with zipfile.ZipFile(path, 'w') as z:
        for n in range(frames):
            z.writestr(f'{DRIVE}/image_02/data/{n:010d}.png', _png_bytes())
        for name, data, *mode in extra:
            info = zipfile.ZipInfo(name)
            if mode:
                info.external_attr = mode[0] << 16
            z.writestr(info, data)
    return str(path)


def _convert(*argv):
    try:
        converter.main(list(argv))
    except SystemExit as e:
        return e.code
    return 0


@pytest.mark.parametrize('member,error', [
    (f'{DRIVE}/../../../../escaped.txt', r"member '.*escaped\.txt' climbs out of its folder"),
    ('/tmp/2011_09_26_drive_0001_sync/image_02/data/abs.png', r'is an absolute path'),
    (f'{DRIVE}/image_02/data/link.png', r"member '.*link\.png' is a symbolic link"),
], ids=['dotdot', 'absolute', 'symlink'])
def test_crafted_members_are_refused_and_nothing_is_written(tmp_path, member, error):
    mode = (stat.S_IFLNK | 0o777, ) if 'link' in member else ()
    archive = _drive_zip(tmp_path / '2011_09_26_drive_0001_sync.zip',
                         [(member, b'/etc/passwd' if mode else b'x') + mode])
    out = tmp_path / 'work' / 'out'
    code = _convert('--raw', archive, '--out-root', str(out))
    assert isinstance(code, str) and code.startswith('error: ')
    import re
    assert re.search(error, code) and 'drive_0001_sync.zip' in code, code
    # refused while planning: nothing extracted, nothing outside
    assert not osp.exists(out) and not osp.exists(tmp_path / 'escaped.txt')
    assert not osp.exists(tmp_path / 'work' / 'escaped.txt')


def test_second_run_never_writes_through_a_linked_source_folder(tmp_path):
    """Run 1 links the user's drive folder; run 2 extracts an archive of the same drive (with a
    frame the folder lacks): it must not write into the user's folder through the link."""
    src = tmp_path / 'mine' / '2011_09_26' / '2011_09_26_drive_0001_sync' / 'image_02' / 'data'
    os.makedirs(src)
    for n in range(3):
        (src / f'{n:010d}.png').write_bytes(_png_bytes())
    out = str(tmp_path / 'out')
    assert _convert('--raw', str(tmp_path / 'mine'), '--out-root', out) == 0
    assert osp.islink(osp.join(out, 'kitti_raw', DRIVE))
    archive = _drive_zip(tmp_path / '2011_09_26_drive_0001_sync.zip', frames=4)
    code = _convert('--raw', archive, '--out-root', out)
    assert 'would be written through the link' in code and 'not writing there' in code, code
    assert sorted(os.listdir(src)) == [f'{n:010d}.png' for n in range(3)]  # untouched
    # the same in one run: the folder and the archive of one drive
    code = _convert('--raw', str(tmp_path / 'mine'), archive, '--out-root',
                    str(tmp_path / 'out2'))
    assert 'pass either the archive or the extracted folder, not both' in code, code
    assert sorted(os.listdir(src)) == [f'{n:010d}.png' for n in range(3)]


def test_corrupt_and_non_zip_archives_are_named(tmp_path):
    good = _drive_zip(tmp_path / 'good.zip')
    data = open(good, 'rb').read()
    cut = tmp_path / '2011_09_26_drive_0001_sync.zip'
    cut.write_bytes(data[:len(data) // 2])  # no central directory: not a zip any more
    code = _convert('--raw', str(cut), '--out-root', str(tmp_path / 'o1'))
    assert f'--raw {cut} is a file but not a zip archive (a truncated or corrupt download' in code
    tar = tmp_path / 'data_object_image_2.tar'
    with tarfile.open(tar, 'w') as t:
        info = tarfile.TarInfo('training/image_2/../../../evil.png')
        info.size = 1
        t.addfile(info, io.BytesIO(b'x'))
    code = _convert('--object', str(tar), '--out-root', str(tmp_path / 'o2'))
    assert 'is a file but not a zip archive' in code and not osp.exists(tmp_path / 'evil.png')
    # intact directory, damaged member data: named, and its partial file removed
    bad = bytearray(data)
    i = bad.index(_png_bytes()[:16]) + 20
    bad[i:i + 8] = b'\0' * 8
    dmg = tmp_path / 'dmg' / '2011_09_26_drive_0001_sync.zip'
    os.makedirs(dmg.parent)
    dmg.write_bytes(bytes(bad))
    out = tmp_path / 'o3'
    code = _convert('--raw', str(dmg), '--out-root', str(out))
    assert 'does not extract' in code and '0000000000.png' in code, code
    assert not osp.exists(out / 'kitti_raw' / DRIVE / 'image_02' / 'data' / '0000000000.png')


def test_out_root_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / 'data'
    f.write_text('my notes')
    code = _convert('--raw', _drive_zip(tmp_path / 'a.zip'), '--out-root', str(f))
    assert code == f'error: --out-root {f} is a file, not a folder'
    assert f.read_text() == 'my notes'
