"""Fréchet distance between Gaussian fits of two feature sets (FID / FVD)."""
import numpy as np


def gaussian_fit(feats: np.ndarray):
    """Mean ``(D,)`` and covariance ``(D, D)`` of ``(N, D)`` features (N >= 2)."""
    feats = np.asarray(feats, np.float64)
    if feats.ndim != 2 or len(feats) < 2:
        raise ValueError(f'need (N >= 2, D) features for a Gaussian fit, got shape {feats.shape}')
    return feats.mean(0), np.cov(feats, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """``|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))``.

    ``Tr((S1 S2)^(1/2))`` is computed as the sum of square roots of the eigenvalues of the
    symmetric ``S1^(1/2) S2 S1^(1/2)`` (same spectrum), which stays real and stable where a
    general matrix square root of ``S1 S2`` picks up imaginary rounding noise.
    """
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    w, v = np.linalg.eigh(sigma1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    tr_sqrt = np.sqrt(np.clip(inner, 0, None)).sum()
    diff = np.asarray(mu1) - np.asarray(mu2)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_sqrt)
