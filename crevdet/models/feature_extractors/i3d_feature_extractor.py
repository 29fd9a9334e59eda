"""The standard FVD feature extractor: Kinetics-400 I3D from a TorchScript file on disk."""
import os.path as osp

import torch
from torch import nn

from crevdet.registry import MODELS


@MODELS.register_module()
class I3DFeatureExtractor(nn.Module):
    """Kinetics I3D logits-layer features (400-d) from a TorchScript file.

    Input ``(N, T, C, H, W)`` in [0, 1]; grey frames are repeated to RGB, values mapped to
    [-1, 1] and passed as ``(N, 3, T, H, W)`` with ``rescale=False, resize=True,
    return_features=True`` (the network resizes to 224x224 itself).
    """

    def __init__(self, weights: str = 'checkpoints/i3d_torchscript.pt') -> None:
        super().__init__()
        if not osp.isfile(weights):
            raise FileNotFoundError(
                f'FVD needs the I3D TorchScript weights, looked for {osp.abspath(weights)!r} and '
                'found nothing. crevdet does not download them: put i3d_torchscript.pt (the '
                'Kinetics-400 I3D used by StyleGAN-V / fvd-comparison) there, or set '
                "feature_extractor=dict(type='I3DFeatureExtractor', weights=...) in the metric, "
                "or use type='RandomVideoFeatureExtractor' for weight-free relative comparisons")
        self.net = torch.jit.load(weights, map_location='cpu').eval()

    @torch.no_grad()
    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        if videos.shape[2] == 1:
            videos = videos.expand(-1, -1, 3, -1, -1)
        x = (videos * 2 - 1).transpose(1, 2).contiguous()
        return self.net(x, rescale=False, resize=True, return_features=True)
