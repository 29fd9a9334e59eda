"""Streaming inference: reuse the encodings of frames a video's previous windows already encoded.

A detector on a video stream sees window after window of ``T`` frames, each sharing ``T-1`` frames
with the one before; the windowed backbone encodes all ``T`` again every time. With an
:class:`EncodingCache` a predictor's ``extract_feat`` encodes only the clips it has not seen
(normally one per new frame) and takes the rest from the cache. The key is the clip's exact
content (``torch.equal``), so the result is the windowed one (up to the last bits of a batched vs
a single convolution), and a new video, a cut or a gap simply misses the cache: nothing to reset
by hand. The recurrent predictor still runs its ``T`` steps from an empty state, as in training.
Used only without autograd (inference); training and fine-tuning keep the windowed path.
"""
from typing import Callable, List, Sequence, Tuple

import torch

Encoded = Tuple[torch.Tensor, ...]


class EncodingCache:
    """Args:
        size: clips kept (per stream: the window's steps; more for batches of several streams).
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self.entries: List[Tuple[torch.Tensor, Encoded]] = []
        self.hits = self.misses = 0

    def reset(self) -> None:
        self.entries.clear()

    def _get(self, clip: torch.Tensor):
        for key, value in reversed(self.entries):
            if key.shape == clip.shape and key.device == clip.device and torch.equal(key, clip):
                return value
        return None

    def encode_steps(self, clips: Sequence[torch.Tensor],
                     encode: Callable[[torch.Tensor], Encoded]) -> List[Encoded]:
        """Encodings of every step's clips: ``clips[i]`` is ``(B, ...)``; ``encode`` maps
        ``(N, ...)`` to a tuple of ``(N, ...)`` tensors. Returns one tuple per step, each tensor ``(B, ...)``,
        equal to ``encode(torch.cat(clips))`` split by step."""
        found, todo = {}, []
        for i, c in enumerate(clips):
            for s in range(c.shape[0]):
                hit = self._get(c[s:s + 1])
                if hit is None:
                    todo.append((i, s))
                else:
                    found[i, s] = hit
        self.hits += len(found)
        self.misses += len(todo)
        if todo:
            out = encode(torch.cat([clips[i][s:s + 1] for i, s in todo]))
            for n, (i, s) in enumerate(todo):
                value = tuple(o[n:n + 1] for o in out)
                found[i, s] = value
                self.entries.append((clips[i][s:s + 1].clone(), value))
            del self.entries[:-self.size]
        return [tuple(torch.cat([found[i, s][j] for s in range(c.shape[0])])
                      for j in range(len(found[i, 0]))) for i, c in enumerate(clips)]
