from .video_grid import prediction_grid, save_prediction_visuals

__all__ = ['prediction_grid', 'save_prediction_visuals']
