"""A held-out test split for the demo's synthetic world: more labelled images of the *same*
world that no training run, and no choice made on the val split, has looked at.

The demo's val split has 60 images, so two runs of one entry differ by several mAP and margins
below ~5 are within that spread (docs/benchmarks/detection_transfer.md). The world is a pure
function of its seed: :func:`make_synthetic_kitti` draws every object image from one random
stream in order, so writing it again with ``det_val + n`` val images reproduces the original
train and val images bit for bit and appends ``n`` new ones. :func:`write_heldout_world` does
that and checks the reproduction byte by byte, so a generator that changed since the run is an
error, not a silently different test set.
"""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import cv2

from crevdet.apis.transfer import TEST, newest, run_tool
from crevdet.apis.world import MARKER, first_different_file
from crevdet.datasets.synthetic_kitti import BASE_DRIVES, make_synthetic_kitti

SPLIT = 'ImageSets/heldout.txt'


class WorldMismatch(RuntimeError):
    """The world written again differs from the one a run used."""


def _split_ids(obj: str) -> Tuple[List[str], List[str]]:
    """The image ids of ``obj``'s train and val splits."""
    return tuple(open(osp.join(obj, 'ImageSets', f'{s}.txt')).read().split()
                 for s in ('train', 'val'))


def read_world(data_dir: str) -> Dict[str, object]:
    """The generator arguments of a demo world folder (``<data_dir>/{raw,object}``, written by
    ``tools/demo.py``): seed and camera from its marker, the frame size, the drive and image
    counts from its files."""
    marker = osp.join(data_dir, MARKER)
    if not osp.isfile(marker):
        raise FileNotFoundError(f'{marker} not found: {data_dir} is not a finished demo world '
                                '(tools/demo.py writes that marker when the world is complete)')
    text = open(marker).read()
    fields = dict(kv.split('=', 1) for kv in text.split() if '=' in kv)
    if not fields.get('seed', '').isdigit():
        raise ValueError(f"{marker}: expected 'seed=N camera=C', got {text!r}")
    obj = osp.join(data_dir, 'object')
    train, val = _split_ids(obj)
    drives = sorted(glob.glob(osp.join(data_dir, 'raw', '*', '*_sync', 'image_02', 'data')))
    if not drives or not val:
        raise ValueError(f'{data_dir}: expected raw drives under raw/ and a val split under '
                         'object/ImageSets/val.txt')
    first = cv2.imread(osp.join(obj, 'training', 'image_2', f'{val[0]}.png'))
    if first is None:
        raise FileNotFoundError(f'{obj}/training/image_2/{val[0]}.png is not readable')
    return dict(seed=int(fields['seed']), camera=fields.get('camera', 'still'),
                size=tuple(first.shape[:2]), raw_drives=len(drives),
                raw_frames=len(os.listdir(drives[0])), det_train=len(train), det_val=len(val))


def write_heldout_world(data_dir: str, n: int, out_dir: str) -> str:
    """Write the world of ``data_dir`` again into ``out_dir`` (new or empty) with ``n`` more
    val images, listed in ``<out_dir>/object/ImageSets/heldout.txt``; check that its train and
    val images equal the original's byte for byte. An ``out_dir`` already holding that world
    with ``n`` held-out images is reused. Returns the new object root."""
    if n < 1:
        raise ValueError(f'the held-out split needs at least 1 image, got {n}')
    world = read_world(data_dir)
    stamp = f"seed={world['seed']} camera={world['camera']} heldout={n}\n"
    obj = osp.join(out_dir, 'object')
    marker = osp.join(out_dir, MARKER)
    if osp.isfile(marker):
        if open(marker).read() != stamp:
            raise FileExistsError(f'{out_dir} holds another held-out world '
                                  f'({open(marker).read().strip()}; this one is '
                                  f'{stamp.strip()}): pass another folder')
        return obj
    args = dict(world)
    args['det_val'] = world['det_val'] + n
    # drives past BASE_DRIVES do not touch the object images: a world with more video has
    # the same held-out images, so they are not written again
    args['raw_drives'] = min(world['raw_drives'], BASE_DRIVES)
    make_synthetic_kitti(out_dir, **args)  # refuses a non-empty out_dir
    old_obj = osp.join(data_dir, 'object')
    train, val = _split_ids(old_obj)
    rel = first_different_file(old_obj, obj, train + val)
    if rel:
        raise WorldMismatch(
            f'{rel} of the world written again into {out_dir} differs from '
            f'{osp.join(old_obj, rel)}: the generator changed since {data_dir} was '
            'written, so new images would come from another world')
    all_val = open(osp.join(obj, 'ImageSets', 'val.txt')).read().split()
    with open(osp.join(obj, SPLIT), 'w') as f:
        f.write('\n'.join(all_val[world['det_val']:]) + '\n')
    with open(osp.join(obj, 'ImageSets', 'val.txt'), 'w') as f:  # the original val split
        f.write('\n'.join(all_val[:world['det_val']]) + '\n')
    open(marker, 'w').write(stamp)
    return obj


def evaluate_on_heldout(cfg_path: str, checkpoint: str, obj_root: str, work_dir: str,
                        log=print) -> dict:
    """Test one detector (its config file and checkpoint, as a demo or transfer-table run wrote
    them) on the held-out split of ``obj_root`` (from :func:`write_heldout_world`) with
    ``tools/test.py`` into ``work_dir`` (``detections.json`` there: every image's ground truth
    and detections, for tools/analysis_tools/map_interval.py); returns its metrics."""
    name = osp.basename(work_dir)
    run_tool(TEST + [cfg_path, checkpoint, '--work-dir', work_dir,
              '--dump-detections', osp.join(work_dir, 'detections.json'), '--cfg-options',
              f'test_dataloader.dataset.data_root={osp.join(obj_root, "")}',
              f'test_dataloader.dataset.ann_file={SPLIT}'],
             f'{work_dir}.log', f'testing {name} on the held-out split', log)
    return json.load(open(newest(osp.join(work_dir, '*', 'metrics.json'),
                                 f'metrics.json of {name}')))


def evaluate_entries(entries: Dict[str, Tuple[str, str]], data_dir: str, n: int,
                     heldout_dir: str, out_dir: str, suffix: str = '', log=print
                     ) -> Tuple[str, Dict[str, dict]]:
    """The held-out world of ``data_dir`` with ``n`` images (written once to ``heldout_dir``,
    see :func:`write_heldout_world`), and every entry ``name -> (config file, checkpoint)``
    tested there into ``<out_dir>/<name><suffix>`` (``out_dir`` is made if needed). Returns
    (its object root, name -> metrics). Raises what :func:`write_heldout_world` raises, or
    ``ToolFailed``."""
    obj = write_heldout_world(data_dir, n, heldout_dir)
    os.makedirs(out_dir, exist_ok=True)  # after the world, so a refused one leaves nothing
    return obj, {name: evaluate_on_heldout(cfg, ckpt, obj, osp.join(out_dir, name + suffix),
                                           log) for name, (cfg, ckpt) in entries.items()}
