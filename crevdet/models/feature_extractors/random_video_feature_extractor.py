"""A weight-free FVD feature extractor (relative comparisons on one dataset only)."""
import torch
from torch import nn

from crevdet.registry import MODELS


@MODELS.register_module()
class RandomVideoFeatureExtractor(nn.Module):
    """A fixed random 3D-conv network (seeded, never trained): ``(N, T, C, H, W)`` in [0, 1]
    -> ``(N, dim)`` (global average of the last conv's ReLU responses)."""

    def __init__(self, in_channels: int = 3, dim: int = 64, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        chans = (in_channels, 16, 32, dim)
        self.convs = nn.ModuleList(nn.Conv3d(a, b, 3, (1, 2, 2), 1)
                                   for a, b in zip(chans[:-1], chans[1:]))
        for conv in self.convs:
            fan_in = conv.weight[0].numel()
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen)
                                  * (2 / fan_in) ** 0.5)
                conv.bias.zero_()
        self.requires_grad_(False)

    @torch.no_grad()
    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        x = videos.transpose(1, 2)
        for conv in self.convs:
            x = torch.relu(conv(x))
        return x.mean((2, 3, 4))
