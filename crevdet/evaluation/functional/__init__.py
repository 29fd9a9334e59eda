from .video import mae, mse, psnr, ssim

__all__ = ['mae', 'mse', 'psnr', 'ssim']
