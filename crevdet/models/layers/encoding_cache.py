"""Streaming inference: reuse the encodings of frames a video's previous windows already encoded.

A detector on a video stream sees window after window of ``T`` frames, each sharing ``T-1`` frames
with the one before; the windowed backbone encodes all ``T`` again every time. With an
:class:`EncodingCache` a predictor's ``extract_feat`` encodes only the clips it has not seen
(normally one per new frame) and takes the rest from the cache. The key is the clip's exact
content (``torch.equal``), so the result is the windowed one (up to the last bits of a batched vs
a single convolution), and a new video, a cut or a gap simply misses the cache: nothing to reset
by hand. The recurrent predictor still runs its ``T`` steps from an empty state, as in training.
Used only without autograd (inference); training and fine-tuning keep the windowed path.

*Stateful* streaming (``stateful=True``, an approximation, not the windowed computation) also
carries the recurrent state from one window to the next: when a window's second-to-last clip is
the previous window's target clip (the video went on by one frame), the predictor makes one step
from the state it ended the previous window with, instead of ``T`` steps from an empty state. A
window that does not continue the last one (the first, a cut, another video) is computed in full
and starts a new carried state; ``horizon`` bounds how many frames a state is carried before the
next window is again warmed up from scratch. Its AP against the windowed detector is measured in
docs/benchmarks/detection_speed.md (``projects/research/stream_ap.py``).
"""
from typing import Callable, List, Optional, Sequence, Tuple

import torch

Encoded = Tuple[torch.Tensor, ...]
# one predictor step: (latent (B, C, h, w), state or None) -> (next latent, state, gates)
Step = Callable[[torch.Tensor, object], tuple]


class EncodingCache:
    """Args:
        size: clips kept (per stream: the window's steps; more for batches of several streams).
        stateful: carry the recurrent state across consecutive windows (see above).
        horizon: with ``stateful``, windows run from a carried state at most before the next
            window is warmed up in full again (``None``: until the video is cut).
    """

    def __init__(self, size: int = 16, stateful: bool = False,
                 horizon: Optional[int] = None) -> None:
        if horizon is not None and horizon < 1:
            raise ValueError(f'horizon must be >= 1 or None, got {horizon}')
        self.size, self.stateful, self.horizon = size, stateful, horizon
        self.entries: List[Tuple[torch.Tensor, Encoded]] = []
        self.hits = self.misses = 0
        # stateful: (the last window's target clips (B, ...), the state after them, windows
        # run from a carried state since the last full warm-up)
        self._carried: Optional[Tuple[torch.Tensor, object, int]] = None
        self.carried_steps = self.warm_ups = 0

    def reset(self) -> None:
        self.entries.clear()
        self._carried = None

    @staticmethod
    def _same(key: torch.Tensor, clip: torch.Tensor) -> bool:
        return key.shape == clip.shape and key.device == clip.device and torch.equal(key, clip)

    def _get(self, clip: torch.Tensor):
        for key, value in reversed(self.entries):
            if self._same(key, clip):
                return value
        return None

    def encode_steps(self, clips: Sequence[torch.Tensor],
                     encode: Callable[[torch.Tensor], Encoded]) -> List[Encoded]:
        """Encodings of every step's clips: ``clips[i]`` is ``(B, ...)``; ``encode`` maps
        ``(N, ...)`` to a tuple of ``(N, ...)`` tensors. Returns one tuple per step, each tensor
        ``(B, ...)``, equal to ``encode(torch.cat(clips))`` split by step."""
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

    def _continues(self, clips: Sequence[torch.Tensor]) -> bool:
        if not self.stateful or self._carried is None or len(clips) < 2:
            return False
        key, _, carried = self._carried
        if self.horizon is not None and carried >= self.horizon:
            return False
        return self._same(key, clips[-2])

    def run_window(self, clips: Sequence[torch.Tensor], encode: Callable[[torch.Tensor], Encoded],
                   step: Step) -> Tuple[Encoded, torch.Tensor, object]:
        """A window's features: ``clips`` as in :meth:`encode_steps` (one ``(B, ...)`` per
        step, the target last), ``step`` the predictor. Returns the target step's encoding,
        the predicted next latent and the gates of the target step. Without ``stateful`` (or
        when the window does not continue the last one) every step runs from an empty state,
        exactly as the windowed backbone; else one step from the carried state."""
        if self._continues(clips):
            _, state, carried = self._carried
            enc = self.encode_steps(clips[-1:], encode)
            self.carried_steps += 1
            carried += 1
        else:
            state, carried = None, 0
            enc = self.encode_steps(clips, encode)
            self.warm_ups += 1
        for e in enc:
            z_next, state, gates = step(e[-1], state)
        if self.stateful:
            self._carried = (clips[-1].clone(), state, carried)
        return enc[-1], z_next, gates
