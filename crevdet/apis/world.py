"""The demo's synthetic worlds on disk: a folder written once by
:func:`~crevdet.datasets.synthetic_kitti.make_synthetic_kitti` and stamped when complete, and
the labelled subsets of its training split. Used by ``tools/demo.py`` and
``tools/analysis_tools/scaling.py``.

A world folder holds ``raw/`` (the unlabelled drives) and ``object/`` (the labelled images),
and a ``.complete`` marker ``seed=S camera=C[ video=N]`` written last, so a folder cut short by
an interruption is never taken for a world.
"""
import os
import os.path as osp
from typing import Callable, List, Optional, Tuple

from crevdet.datasets.synthetic_kitti import BASE_DRIVES, RAW_FRAMES, frames_to_drives

MARKER = '.complete'
#: the default amount of unlabelled video: 6 drives of 40 frames
VIDEO_FRAMES = BASE_DRIVES * RAW_FRAMES


class WorldError(ValueError):
    """A world folder that cannot be used as asked; the message names the folder."""


def world_stamp(data_seed: int, camera: str, video_frames: int = VIDEO_FRAMES) -> str:
    """The marker text of a finished world (the default amount of video keeps the stamp that
    folders written before it existed have)."""
    return f'seed={data_seed} camera={camera}' + (
        f' video={video_frames}' if video_frames != VIDEO_FRAMES else '') + '\n'


def ensure_world(data_dir: str, camera: str, data_seed: int = 0,
                 video_frames: int = VIDEO_FRAMES, log: Callable[[str], None] = print,
                 progress: Optional[Callable[[int, int], None]] = None, **generator) -> bool:
    """Write the world into ``data_dir`` unless it is there already; returns whether it wrote
    it. ``generator``: more arguments of ``make_synthetic_kitti`` (e.g. a smaller ``size`` in
    tests; ``raw_frames`` is the frames of one drive). Raises :class:`WorldError` for a file,
    another world, or a non-empty folder that is not a finished world."""
    from crevdet.datasets.synthetic_kitti import make_synthetic_kitti
    if osp.exists(data_dir) and not osp.isdir(data_dir):
        raise WorldError(f'{data_dir} is a file, not a folder; pass a folder (a new one is '
                         'written, an existing world folder is reused)')
    marker = osp.join(data_dir, MARKER)
    stamp = world_stamp(data_seed, camera, video_frames)
    if osp.isfile(marker):
        found = open(marker).read()
        # folders written before the camera existed say only 'seed=0': a still camera
        if found.strip() == 'seed=0':
            found = 'seed=0 camera=still\n'
        if found != stamp:
            raise WorldError(f'{data_dir} holds demo data of another world ({found.strip()}); '
                             f'this run asks for {stamp.strip()}. Pass another folder (or the '
                             'matching camera, data seed and amount of video)')
        log(f'synthetic KITTI data ({stamp.strip()}) found in {data_dir}')
        return False
    if osp.isdir(data_dir) and os.listdir(data_dir):
        raise WorldError(f'{data_dir} exists but is incomplete or not demo data; remove it or '
                         'pass a new folder')
    raw_frames = generator.get('raw_frames', RAW_FRAMES)
    log(f'writing synthetic KITTI raw + object data ({camera} camera, {video_frames} frames of '
        f'video) to {data_dir}')
    make_synthetic_kitti(data_dir, seed=data_seed, progress=progress, camera=camera,
                         raw_drives=frames_to_drives(video_frames, raw_frames), **generator)
    open(marker, 'w').write(stamp)
    return True


def label_subset(obj_root: str, n: int) -> Tuple[str, int]:
    """The first ``n`` training images of the object split as an image list
    (``ImageSets/train_<n>.txt``, written once beside ``train.txt``): the labelled part of a
    world whose other images stay unlabelled. Returns (the list relative to ``obj_root``, the
    size of the full training split). Raises :class:`WorldError` for an ``n`` out of range or
    a list edited by hand (which is kept)."""
    ids = open(osp.join(obj_root, 'ImageSets', 'train.txt')).read().split()
    if not 1 <= n <= len(ids):
        raise WorldError(f'--labels must be in [1, {len(ids)}] (the training images of '
                         f'{obj_root}), got {n}')
    if n == len(ids):
        return 'ImageSets/train.txt', len(ids)
    rel = f'ImageSets/train_{n}.txt'
    text = '\n'.join(ids[:n]) + '\n'
    path = osp.join(obj_root, rel)
    if not osp.isfile(path):
        with open(path + '.tmp', 'w') as f:
            f.write(text)
        os.replace(path + '.tmp', path)
    elif open(path).read() != text:
        raise WorldError(f'{path} does not list the first {n} images of train.txt; it was '
                         'edited by hand: remove it or pass another data folder')
    return rel, len(ids)


def same_object_images(obj_a: str, obj_b: str) -> Optional[str]:
    """None when the object folders ``obj_a`` and ``obj_b`` hold the same train and val
    images, labels and previous frames byte for byte; else the first file that differs."""
    for split in ('train', 'val'):
        ids = open(osp.join(obj_a, 'ImageSets', f'{split}.txt')).read().split()
        if open(osp.join(obj_b, 'ImageSets', f'{split}.txt')).read().split() != ids:
            return osp.join(obj_b, 'ImageSets', f'{split}.txt')
        bad = first_different_file(obj_a, obj_b, ids)
        if bad:
            return osp.join(obj_b, bad)
    return None


def first_different_file(obj_a: str, obj_b: str, ids: List[str]) -> Optional[str]:
    """The first of the :func:`object_files` of ``ids`` (relative to the object roots) whose
    bytes differ between ``obj_a`` and ``obj_b``, or None."""
    import filecmp
    for rel in object_files(ids):
        if not filecmp.cmp(osp.join(obj_a, rel), osp.join(obj_b, rel), shallow=False):
            return rel
    return None


def object_files(ids: List[str]) -> List[str]:
    """The files of object images ``ids`` relative to an object root: image, label and the
    three previous frames."""
    rel = []
    for i in ids:
        rel += [f'training/image_2/{i}.png', f'training/label_2/{i}.txt']
        rel += [f'training/prev_2/{i}_{j:02d}.png' for j in (1, 2, 3)]
    return rel
