from .multi_frame_det_data_preprocessor import MultiFrameDetDataPreprocessor
from .video_data_preprocessor import VideoDataPreprocessor

__all__ = ['MultiFrameDetDataPreprocessor', 'VideoDataPreprocessor']
