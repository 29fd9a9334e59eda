from .video_metric import VideoPredictionMetric, format_video_table

__all__ = ['VideoPredictionMetric', 'format_video_table']
