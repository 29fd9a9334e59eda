from .loading import LoadMultiFrameImages, MultiFramePhotoMetricDistortion

__all__ = ['LoadMultiFrameImages', 'MultiFramePhotoMetricDistortion']
