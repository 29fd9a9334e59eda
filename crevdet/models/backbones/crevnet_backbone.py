"""The CrevNet detection backbone: :class:`VideoPredictorBackbone` with ``CrevNet`` as the default
predictor type."""
from crevdet.registry import MODELS
from .video_predictor_backbone import VideoPredictorBackbone


@MODELS.register_module()
class CrevNetBackbone(VideoPredictorBackbone):
    """:class:`VideoPredictorBackbone` whose ``model`` is a :class:`CrevNet` (a pretraining config
    path or its kwargs)."""

    default_type = 'CrevNet'
