from .crevnet_backbone import CrevNetBackbone
from .video_predictor_backbone import VideoPredictorBackbone

__all__ = ['CrevNetBackbone', 'VideoPredictorBackbone']
