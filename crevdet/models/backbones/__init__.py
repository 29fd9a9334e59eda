from .video_predictor_backbone import CrevNetBackbone, VideoPredictorBackbone

__all__ = ['CrevNetBackbone', 'VideoPredictorBackbone']
