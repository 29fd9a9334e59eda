"""Per-frame video prediction metrics on tensors in ``[0, 1]``.

All functions take ``pred``/``target`` of shape ``(..., C, H, W)`` and return one value per frame
(shape ``(...)``), so callers can average per step or overall.

* ``mse`` / ``mae``: *sum* over C, H, W of the squared / absolute error (the convention of the
  video-prediction literature and OpenSTL: Moving MNIST MSE of 22.3 for CrevNet is per frame).
* ``psnr``: ``10 log10(1 / mean squared error)``.
* ``ssim``: Gaussian window 11x11, sigma 1.5, K1=0.01, K2=0.03, data range 1, population
  covariance, averaged over channels and the valid (un-padded) region — the same numbers as
  ``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False, data_range=1)``.
"""
import torch
import torch.nn.functional as F


def _check(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape or pred.dim() < 3:
        raise ValueError(f'pred and target must share a (..., C, H, W) shape, got '
                         f'{tuple(pred.shape)} and {tuple(target.shape)}')


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    _check(pred, target)
    return (pred.double() - target.double()).pow(2).sum(dim=(-3, -2, -1))


def mae(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    _check(pred, target)
    return (pred.double() - target.double()).abs().sum(dim=(-3, -2, -1))


def psnr(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    _check(pred, target)
    m = (pred.double() - target.double()).pow(2).mean(dim=(-3, -2, -1))
    return 10 * torch.log10(1.0 / m.clamp_min(eps))


def _gaussian_window(size: int, sigma: float, dtype, device) -> torch.Tensor:
    x = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    w = torch.exp(-0.5 * (x / sigma) ** 2)
    return w / w.sum()


def ssim(pred: torch.Tensor, target: torch.Tensor, win_size: int = 11, sigma: float = 1.5,
         k1: float = 0.01, k2: float = 0.03, data_range: float = 1.0) -> torch.Tensor:
    _check(pred, target)
    lead, (c, h, w) = pred.shape[:-3], pred.shape[-3:]
    if h < win_size or w < win_size:
        raise ValueError(f'SSIM needs frames of at least {win_size}x{win_size}, got {h}x{w}')
    x = pred.double().reshape(-1, 1, h, w)
    y = target.double().reshape(-1, 1, h, w)
    g = _gaussian_window(win_size, sigma, x.dtype, x.device)
    # separable 'valid' filtering == skimage's filter-then-crop of (win_size-1)//2 pixels
    gy, gx = g.view(1, 1, -1, 1), g.view(1, 1, 1, -1)

    def filt(t):
        return F.conv2d(F.conv2d(t, gy), gx)

    ux, uy = filt(x), filt(y)
    vx = filt(x * x) - ux * ux
    vy = filt(y * y) - uy * uy
    vxy = filt(x * y) - ux * uy
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return s.mean(dim=(-2, -1)).reshape(*lead, c).mean(-1)
