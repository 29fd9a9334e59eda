from .learning_curve_hook import LearningCurveHook
from .portable_checkpoint_hook import PortableCheckpointHook
from .time_budget_hook import TrainTimeBudgetHook
from .video_benchmark_hook import VideoPredictionBenchmarkHook, find_video_predictor

__all__ = ['LearningCurveHook', 'PortableCheckpointHook', 'TrainTimeBudgetHook',
           'VideoPredictionBenchmarkHook', 'find_video_predictor']
