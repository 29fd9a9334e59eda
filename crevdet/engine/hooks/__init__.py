from .learning_curve_hook import LearningCurveHook
from .nan_guard_hook import NaNGuardHook, NonFiniteError
from .portable_checkpoint_hook import PortableCheckpointHook
from .time_budget_hook import TrainTimeBudgetHook
from .video_prediction_benchmark_hook import VideoPredictionBenchmarkHook, find_video_predictor

__all__ = ['LearningCurveHook', 'NaNGuardHook', 'NonFiniteError', 'PortableCheckpointHook',
           'TrainTimeBudgetHook', 'VideoPredictionBenchmarkHook', 'find_video_predictor']
