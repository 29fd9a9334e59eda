from .i3d_feature_extractor import I3DFeatureExtractor
from .random_video_feature_extractor import RandomVideoFeatureExtractor

__all__ = ['I3DFeatureExtractor', 'RandomVideoFeatureExtractor']
