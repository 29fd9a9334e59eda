"""KITTI 2D object AP (devkit protocol) as an mmengine metric; optional submission files and a
JSON file of every image's ground truth and detections (for tools/analysis_tools/map_interval.py).
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from crevdet.datasets.kitti_labels import format_kitti_line
from crevdet.registry import METRICS
from ..functional.kitti import CLASSES, DIFFICULTIES, kitti_eval


def kitti_detections(bboxes, labels, scores, classes: Sequence[str],
                     score_thr: float = 0.0) -> List[dict]:
    """One image's predicted ``bboxes`` ``(N, 4)`` (x1, y1, x2, y2 in image pixels), ``labels``
    (indices into ``classes``) and ``scores`` as :func:`kitti_eval`'s detection dicts
    (``type``, ``bbox``, ``score``), those below ``score_thr`` dropped."""
    return [dict(type=classes[int(label)], bbox=[float(v) for v in box], score=float(score))
            for box, label, score in zip(bboxes.tolist(), labels, scores)
            if float(score) >= score_thr]


@METRICS.register_module()
class KittiMetric(BaseMetric):
    """Consumes mmdet detection samples whose metainfo carries ``kitti_objects`` (every label of
    the image: DontCare, Van, Person_sitting... with truncation/occlusion; ``KittiDetDataset`` +
    ``PackDetInputs(meta_keys=(..., 'kitti_objects'))``) and ``pred_instances`` in original
    image coordinates.

    Results (prefix ``kitti``): ``<Class>_<easy|moderate|hard>_R40`` / ``_R11`` and ``mAP_R40`` /
    ``mAP_R11`` (mean of the 9 class x difficulty entries, the paper's Table 5 mAP).

    Args:
        classes: evaluated classes (subset of Car, Pedestrian, Cyclist).
        score_thr: drop detections below this score before evaluation.
        format_only: only write ``<outfile_prefix>/<img_id>.txt`` submission files.
        outfile_prefix: folder for submission files; must not already hold files.
        dump_file: also write every image's ``img_id``, ground truth and detections (as
            :func:`kitti_eval` takes them) to this new JSON file (``tools/test.py
            --dump-detections``); it must not exist yet. Read back by :func:`load_detections`.
    """
    default_prefix = 'kitti'

    def __init__(self, classes: Sequence[str] = CLASSES, score_thr: float = 0.0,
                 format_only: bool = False, outfile_prefix: Optional[str] = None,
                 dump_file: Optional[str] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if format_only and not outfile_prefix:
            raise ValueError('KittiMetric(format_only=True) needs outfile_prefix (a folder)')
        self.classes, self.score_thr = tuple(classes), score_thr
        self.format_only, self.outfile_prefix = format_only, outfile_prefix
        if dump_file and not dump_file.endswith('.json'):
            raise ValueError(f'KittiMetric(dump_file={dump_file!r}): expected a .json file')
        self.dump_file = dump_file

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        names = self.dataset_meta['classes']
        for ds in data_samples:
            if 'kitti_objects' not in ds:
                raise KeyError('KittiMetric needs kitti_objects in the sample metainfo: add '
                               "'kitti_objects' to PackDetInputs(meta_keys=...)")
            pred = ds['pred_instances']
            dets = kitti_detections(pred['bboxes'], pred['labels'], pred['scores'], names,
                                    self.score_thr)
            self.results.append((ds['img_id'], ds['kitti_objects'], dets))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        if self.format_only:
            self.write_submission(results)
            logger.info(f'KITTI submission files written to {self.outfile_prefix}')
            return {}
        if self.dump_file:
            dump_detections(self.dump_file, self.classes, results)
            logger.info(f'ground truth and detections of {len(results)} images written to '
                        f'{self.dump_file}')
        res = kitti_eval([r[1] for r in results], [r[2] for r in results], self.classes)
        logger.info('\n' + format_kitti_table(res, self.classes))
        return res

    def write_submission(self, results: List[tuple]) -> None:
        out = self.outfile_prefix
        if osp.isdir(out) and os.listdir(out):
            raise FileExistsError(f'{out} already holds files; refusing to overwrite a previous '
                                  'submission (choose another outfile_prefix)')
        os.makedirs(out, exist_ok=True)
        for img_id, _, dets in results:
            with open(osp.join(out, f'{img_id}.txt'), 'w') as f:
                f.writelines(format_kitti_line(d['type'], d['bbox'], d['score']) + '\n'
                             for d in dets)


DUMP_FORMAT = 'crevdet-kitti-detections/1'


def dump_detections(path: str, classes: Sequence[str], results: List[tuple]) -> None:
    """``results``: ``(img_id, ground truth, detections)`` per image -> a new JSON file
    (refuses an existing one: an earlier test's file is never replaced)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'x') as f:
        json.dump(dict(format=DUMP_FORMAT, classes=list(classes),
                       images=[dict(img_id=i, ground_truth=g, detections=d)
                               for i, g, d in results]), f)


def load_detections(path: str) -> dict:
    """A file of :func:`dump_detections`: ``{'classes', 'img_ids', 'gt', 'det'}`` (per-image
    lists for :func:`kitti_eval`). A file of another kind is an error naming it and the field."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: not a readable JSON file ({e})') from None
    if not isinstance(data, dict) or data.get('format') != DUMP_FORMAT:
        found = data.get('format') if isinstance(data, dict) else type(data).__name__
        raise ValueError(f'{path}: expected a detections file of tools/test.py '
                         f'--dump-detections (format {DUMP_FORMAT!r}), got format {found!r}')
    out = dict(classes=tuple(data.get('classes') or ()), img_ids=[], gt=[], det=[])
    for k, img in enumerate(data.get('images') or []):
        for field in ('img_id', 'ground_truth', 'detections'):
            if not isinstance(img, dict) or field not in img:
                raise ValueError(f'{path}: images[{k}] has no {field!r}')
        for field, need in (('ground_truth', ()), ('detections', ('score', ))):
            for obj in img[field]:
                if not (isinstance(obj, dict) and 'type' in obj and all(n in obj for n in need)
                        and len(obj.get('bbox') or ()) == 4):
                    raise ValueError(f"{path}: images[{k}] ({img['img_id']}) {field}: expected "
                                     f"objects with 'type', a 4-number 'bbox'"
                                     f"{' and a score' if need else ''}, got {obj!r}")
        out['img_ids'].append(img['img_id'])
        out['gt'].append(img['ground_truth'])
        out['det'].append(img['detections'])
    if not out['img_ids'] or not out['classes']:
        raise ValueError(f'{path}: no images or no classes')
    return out


def format_kitti_table(res: Dict[str, float], classes: Sequence[str] = CLASSES) -> str:
    lines = ['KITTI 2D AP (official protocol)',
             '| class | rule | Easy | Moderate | Hard |', '|---|---|---|---|---|']
    for cls in classes:
        for rule in ('R40', 'R11'):
            vals = [res.get(f'{cls}_{d}_{rule}') for d in DIFFICULTIES]
            cells = ' | '.join('n/a' if v is None else f'{v:.2f}' for v in vals)
            lines.append(f'| {cls} | {rule} | {cells} |')
    for rule in ('R40', 'R11'):
        if f'mAP_{rule}' in res:
            lines.append(f'mAP ({rule}, class x difficulty entries): {res[f"mAP_{rule}"]:.2f}')
    return '\n'.join(lines)
