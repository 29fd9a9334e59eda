from .frechet import frechet_distance, gaussian_fit
from .kitti import ap_r11, ap_r40, box_overlap, kitti_eval, kitti_precision_curve
from .kitti_interval import (bootstrap_draws, margin_bootstrap, metric_on_draws, subset_draws,
                             subset_margins)
from .video import mae, mse, psnr, ssim

__all__ = ['frechet_distance', 'gaussian_fit', 'mae', 'mse', 'psnr', 'ssim', 'ap_r11', 'ap_r40',
           'box_overlap', 'kitti_eval', 'kitti_precision_curve', 'bootstrap_draws',
           'margin_bootstrap', 'metric_on_draws', 'subset_draws', 'subset_margins']
