"""KITTI 2D object AP (devkit protocol) as an mmengine metric; optional submission files."""
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
    """
    default_prefix = 'kitti'

    def __init__(self, classes: Sequence[str] = CLASSES, score_thr: float = 0.0,
                 format_only: bool = False, outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if format_only and not outfile_prefix:
            raise ValueError('KittiMetric(format_only=True) needs outfile_prefix (a folder)')
        self.classes, self.score_thr = tuple(classes), score_thr
        self.format_only, self.outfile_prefix = format_only, outfile_prefix

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
