from .fvd_metric import FVDMetric
from .kitti_metric import (KittiMetric, dump_detections, format_kitti_table, kitti_detections,
                           load_detections)
from .video_prediction_metric import VideoPredictionMetric, format_video_table

__all__ = ['FVDMetric', 'KittiMetric', 'dump_detections', 'format_kitti_table',
           'kitti_detections', 'load_detections', 'VideoPredictionMetric', 'format_video_table']
