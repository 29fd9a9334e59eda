from .load_multi_frame_images import LoadMultiFrameImages
from .multi_frame_photo_metric_distortion import MultiFramePhotoMetricDistortion

__all__ = ['LoadMultiFrameImages', 'MultiFramePhotoMetricDistortion']
