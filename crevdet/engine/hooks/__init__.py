from .portable_checkpoint_hook import PortableCheckpointHook
from .video_benchmark_hook import VideoPredictionBenchmarkHook, find_video_predictor

__all__ = ['PortableCheckpointHook', 'VideoPredictionBenchmarkHook', 'find_video_predictor']
