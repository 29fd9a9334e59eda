from .kitti_metric import KittiMetric, format_kitti_table
from .video_metric import VideoPredictionMetric, format_video_table

__all__ = ['KittiMetric', 'format_kitti_table', 'VideoPredictionMetric', 'format_video_table']
