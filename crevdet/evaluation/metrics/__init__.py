from .fvd_metric import FVDMetric
from .kitti_metric import KittiMetric, format_kitti_table, kitti_detections
from .video_prediction_metric import VideoPredictionMetric, format_video_table

__all__ = ['FVDMetric', 'KittiMetric', 'format_kitti_table', 'kitti_detections',
           'VideoPredictionMetric', 'format_video_table']
