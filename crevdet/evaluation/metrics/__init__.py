from .fvd_metric import FVDMetric, I3DFeatureExtractor, RandomVideoFeatureExtractor
from .kitti_metric import KittiMetric, format_kitti_table
from .video_metric import VideoPredictionMetric, format_video_table

__all__ = ['FVDMetric', 'I3DFeatureExtractor', 'RandomVideoFeatureExtractor', 'KittiMetric',
           'format_kitti_table', 'VideoPredictionMetric', 'format_video_table']
