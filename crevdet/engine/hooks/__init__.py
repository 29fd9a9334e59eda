from .portable_checkpoint_hook import PortableCheckpointHook
from .time_budget_hook import TrainTimeBudgetHook
from .video_benchmark_hook import VideoPredictionBenchmarkHook, find_video_predictor

__all__ = ['PortableCheckpointHook', 'TrainTimeBudgetHook', 'VideoPredictionBenchmarkHook',
           'find_video_predictor']
