"""KITTI 2D object detection with the three preceding frames, in KITTI's official layout.

    <data_root>/training/image_2/<id>.png       target frame
    <data_root>/training/label_2/<id>.txt       labels (type trunc occ alpha x1 y1 x2 y2 ...)
    <data_root>/training/prev_2/<id>_0{1,2,3}.png the 3 preceding frames (KITTI's
                                                "multi-view" extension, data_object_prev_2.zip)
    <data_root>/ImageSets/{train,val}.txt       split files (ids, one per line; the 3712/3769 split)

Frame order: ``_01`` is taken as the *oldest* and ``_03`` as the frame right before the target
(``prev_order='01_oldest'``, the convention stated by this project's issue tracker; the KITTI
readme only says "3 temporally preceding frames"). ``tools/analysis_tools/check_prev_order.py``
checks it on real data (the closest frame differs least from the target); set
``prev_order='01_closest'`` if your copy says otherwise. ``frame_paths`` is always oldest first,
target last.
"""
import os
import os.path as osp
import struct
from typing import List, Optional

from mmdet.datasets import BaseDetDataset
from mmengine.logging import print_log

from crevdet.registry import DATASETS
from .kitti_labels import read_kitti_label_file, read_text_lines

PREV_HELP = ('the KITTI object "prev_2" frames come from the benchmark\'s multi-view extension '
             '(data_object_prev_2.zip, extract it next to image_2); or set '
             "missing_prev='repeat' to repeat the target frame instead")


def png_size(path: str):
    """(width, height) from a PNG header without decoding the image."""
    with open(path, 'rb') as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b'\x89PNG\r\n\x1a\n':
        return None
    return struct.unpack('>II', head[16:24])


@DATASETS.register_module()
class KittiDetDataset(BaseDetDataset):
    """Args (besides ``BaseDetDataset``'s ``data_root``, ``ann_file``, ``pipeline``, ...):
        ann_file: split file relative to ``data_root`` (e.g. ``ImageSets/train.txt``); empty:
            every image in ``image_2``.
        data_prefix: ``dict(img=..., ann=..., prev=...)`` folders relative to ``data_root``.
        num_prev: previous frames per sample (0-3).
        missing_prev: ``'error'`` (default) or ``'repeat'`` (repeat the target; count logged).
        prev_order: ``'01_oldest'`` or ``'01_closest'`` (see module docstring).
        class_map: rename object types before validation, e.g. ``dict(Carr='Car')``; a value of
            None drops that type.
        unknown_classes: ``'error'`` (default: a type outside KITTI's nine names the file and
            line) or ``'ignore'`` (drop those objects; count logged).
        invalid_boxes: ``'error'`` (default: a non-finite box or one with x2 <= x1 / y2 <= y1
            names the file and line) or ``'drop'`` (count logged).
    """
    METAINFO = dict(classes=('Car', 'Pedestrian', 'Cyclist'),
                    palette=[(0, 200, 0), (220, 20, 60), (0, 60, 255)])

    def __init__(self, *args, num_prev: int = 3, missing_prev: str = 'error',
                 prev_order: str = '01_oldest', class_map: Optional[dict] = None,
                 unknown_classes: str = 'error', invalid_boxes: str = 'error',
                 data_prefix: dict = dict(img='training/image_2', ann='training/label_2',
                                          prev='training/prev_2'), **kwargs) -> None:
        if missing_prev not in ('error', 'repeat'):
            raise ValueError(f"missing_prev must be 'error' or 'repeat', got {missing_prev!r}")
        if prev_order not in ('01_oldest', '01_closest'):
            raise ValueError(f"prev_order must be '01_oldest' or '01_closest', got {prev_order!r}")
        if not 0 <= num_prev <= 3:
            raise ValueError(f'num_prev must be 0..3 (KITTI ships 3), got {num_prev}')
        self.num_prev, self.missing_prev, self.prev_order = num_prev, missing_prev, prev_order
        self.num_repeated = 0
        self.label_opts = dict(class_map=class_map, unknown_classes=unknown_classes,
                               invalid_boxes=invalid_boxes)
        super().__init__(*args, data_prefix=data_prefix, **kwargs)

    def _ids(self) -> List[str]:
        img_dir = self.data_prefix['img']
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise FileNotFoundError(f'KITTI split file {self.ann_file} not found (expected '
                                        'ImageSets/<split>.txt with one image id per line)')
            ids = [ln.strip() for ln in read_text_lines(self.ann_file, 'split file')
                   if ln.strip()]
            if not ids:
                raise ValueError(f'KITTI split file {self.ann_file} lists no image id (expected '
                                 'one id such as 000123 per line)')
            return ids
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'KITTI image folder {img_dir} not found; expected the object '
                                    'layout <data_root>/training/{image_2,label_2,prev_2}')
        ids = sorted(osp.splitext(f)[0] for f in os.listdir(img_dir) if f.endswith('.png'))
        if not ids:
            raise FileNotFoundError(f'no .png images in {img_dir}')
        return ids

    def _prev_paths(self, img_id: str, img_path: str) -> List[str]:
        suffixes = ['01', '02', '03'] if self.prev_order == '01_oldest' else ['03', '02', '01']
        paths = [osp.join(self.data_prefix['prev'], f'{img_id}_{s}.png')
                 for s in suffixes[3 - self.num_prev:]]
        missing = [p for p in paths if not osp.isfile(p)]
        if missing:
            if self.missing_prev == 'error':
                raise FileNotFoundError(f'previous frame {missing[0]} of image {img_id} not '
                                        f'found: {PREV_HELP}')
            self.num_repeated += 1
            return [img_path] * self.num_prev
        return paths

    def load_data_list(self) -> List[dict]:
        classes = list(self.metainfo['classes'])
        data_list = []
        self.num_repeated = 0
        dropped = {}
        # an unlabelled set (KITTI's testing split, for --format-only) has no label folder at
        # all; a labelled one must have every label: a missing file would silently count as an
        # image without objects and change the AP
        unlabelled = self.test_mode and not osp.isdir(self.data_prefix['ann'])
        for img_id in self._ids():
            img_path = osp.join(self.data_prefix['img'], f'{img_id}.png')
            if not osp.isfile(img_path):
                raise FileNotFoundError(f'KITTI image {img_path} (listed in '
                                        f'{self.ann_file or "image_2"}) not found')
            size = png_size(img_path)
            if size is None:
                raise ValueError(f'{img_path} is not a PNG image')
            objects = []
            label_path = osp.join(self.data_prefix['ann'], f'{img_id}.txt')
            if osp.isfile(label_path):
                objects = read_kitti_label_file(label_path, dropped=dropped, **self.label_opts)
            elif not unlabelled:
                raise FileNotFoundError(
                    f'label file {label_path} for image {img_id} not found' +
                    (' (an evaluation would score the image as one without objects; restore '
                     'the label, or drop the id from the split file)' if self.test_mode else ''))
            instances = [dict(bbox=o['bbox'], bbox_label=classes.index(o['type']), ignore_flag=0)
                         for o in objects if o['type'] in classes]
            frames = self._prev_paths(img_id, img_path) + [img_path] if self.num_prev else \
                [img_path]
            data_list.append(dict(img_id=img_id, img_path=img_path, frame_paths=frames,
                                  width=size[0], height=size[1], instances=instances,
                                  kitti_objects=objects))
        if unlabelled:
            print_log(f'KittiDetDataset: no label folder {self.data_prefix["ann"]}: the '
                      f'{len(data_list)} images have no ground truth (an unlabelled test set: '
                      'only --format-only output is meaningful, not metrics)', logger='current',
                      level=30)
        if dropped:
            print_log(f'KittiDetDataset: dropped label objects: {dropped} (options '
                      f'{self.label_opts})', logger='current', level=30)
        if self.num_repeated:
            print_log(f'KittiDetDataset: {self.num_repeated} of {len(data_list)} samples have no '
                      f'prev_2 frames; the target frame is repeated (missing_prev="repeat")',
                      logger='current')
        return data_list

    def filter_data(self) -> List[dict]:
        if self.test_mode or not self.filter_cfg or not self.filter_cfg.get('filter_empty_gt'):
            return self.data_list
        return [d for d in self.data_list if d['instances']]
