from .video_detector import VideoDetector

__all__ = ['VideoDetector']
