from .boxes import PALETTE, draw_boxes
from .video_grid import prediction_grid, save_prediction_visuals

__all__ = ['PALETTE', 'draw_boxes', 'prediction_grid', 'save_prediction_visuals']
