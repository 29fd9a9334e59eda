"""Moving MNIST rendered for a whole batch at once, on any device, without per-sample Python.

``MovingMNISTDataset(render_on_device=True)`` returns per clip only what is random: the digits
``(K, 28, 28)`` uint8 and their start ``(K, 2)`` and velocity ``(K, 2)`` (float64, drawn in the
same order as :func:`~crevdet.datasets.moving_mnist.bouncing_sequence` draws them). The data
preprocessor (``VideoDataPreprocessor``) then calls :func:`render_moving_mnist` on the model's
device: the trajectories of every digit of the batch advance together (``seq_len`` vectorised
steps), and the frames are drawn with one scatter per digit slot. For deterministic bounces the
clips are bit-identical to the CPU path (same float64 arithmetic), which the tests pin.
"""
from typing import Optional

import torch


def bouncing_positions(pos: torch.Tensor, vel: torch.Tensor, seq_len: int, free: int,
                       step_length: float = 0.1,
                       bounce_vel: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Top-left corners ``(B, K, T, 2)`` int64 (y, x) in ``[0, free]`` of bouncing digits.

    Args:
        pos: ``(B, K, 2)`` float64 start in ``[0, 1]`` of the free range.
        vel: ``(B, K, 2)`` float64 unit velocity (y, x).
        free: ``image_size - digit_size``.
        bounce_vel: stochastic bounces: ``(B, K, T, 2)`` unit directions drawn in advance; a digit
            hitting a wall at step t leaves it along ``bounce_vel[:, :, t]`` with the hit axis'
            component turned away from that wall. None: reflect (the standard Moving MNIST).
    """
    corners = []
    for t in range(seq_len):
        corners.append((pos * free).long())  # truncation, as numpy's astype(int) for pos >= 0
        pos = pos + vel * step_length
        if bounce_vel is None:  # reflection: the axes are independent, both at once
            low, high = pos < 0, pos > 1
            pos = torch.where(low, -pos, torch.where(high, 2 - pos, pos))
            vel = torch.where(low | high, -vel, vel)
            continue
        for a in range(2):  # a drawn bounce replaces both components: the CPU path's axis order
            p = pos[..., a]
            low, high = p < 0, p > 1
            pos = pos.clone()
            pos[..., a] = torch.where(low, -p, torch.where(high, 2 - p, p))
            new = bounce_vel[:, :, t].clone()
            new[..., a] = torch.where(low, 1.0, -1.0) * new[..., a].abs()  # away from the wall
            vel = torch.where((low | high).unsqueeze(-1), new, vel)
    return torch.stack(corners, dim=2)


def render_moving_mnist(digits: torch.Tensor, pos: torch.Tensor, vel: torch.Tensor,
                        seq_len: int, image_size: int, step_length: float = 0.1,
                        bounce_vel: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Clips ``(B, T, 1, S, S)`` uint8 on ``digits``' device: digits combined by pixel-wise max.

    Args:
        digits: ``(B, K, d, d)`` uint8.
        pos, vel, bounce_vel: see :func:`bouncing_positions`.
    """
    b, k, d, _ = digits.shape
    s = image_size
    corners = bouncing_positions(pos.to(digits.device, torch.float64),
                                 vel.to(digits.device, torch.float64), seq_len, s - d,
                                 step_length, None if bounce_vel is None
                                 else bounce_vel.to(digits.device, torch.float64))
    offs = torch.arange(d, device=digits.device)
    # flat canvas index of every digit pixel: (B, K, T, d*d)
    rows = corners[..., 0, None, None] + offs[:, None]  # (B, K, T, d, 1)
    cols = corners[..., 1, None, None] + offs[None, :]  # (B, K, T, 1, d)
    index = (rows * s + cols).reshape(b, k, seq_len, d * d)
    frames = torch.zeros(b, seq_len, s * s, dtype=torch.uint8, device=digits.device)
    for j in range(k):  # one digit never overlaps itself, so a plain scatter per slot is exact
        layer = torch.zeros_like(frames)
        src = digits[:, j].reshape(b, 1, d * d).expand(b, seq_len, d * d)
        layer.scatter_(2, index[:, j], src)
        frames = torch.maximum(frames, layer)
    return frames.view(b, seq_len, 1, s, s)
