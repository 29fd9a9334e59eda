"""How a detection backbone's predictor runs at inference, apart from what it computes:
streaming (encodings of frames earlier windows already encoded are reused), half-precision
autocast, and ``torch.compile``. The windowed features are the same with each of them on or off
(to float rounding for autocast), ``streaming='stateful'`` aside (documented below), so none of
them is part of :class:`~.video_predictor_backbone.VideoPredictorBackbone`'s features and masks.
"""
from typing import Callable, Dict, Optional, Union

import torch

from ..layers.encoding_cache import EncodingCache

AUTOCAST = (None, 'bf16', 'fp16', 'auto')


def _cpu_has_native_bf16() -> bool:
    check = getattr(torch.ops.mkldnn, '_is_mkldnn_bf16_supported', None)
    try:
        return bool(check()) if check is not None else False
    except RuntimeError:  # a build without oneDNN
        return False


def auto_autocast(device: torch.device) -> Optional[str]:
    """``inference_autocast='auto'``: the half precision ``device`` runs natively, or None.
    CUDA: bf16 where supported (Ampere and later), else fp16; CPU: bf16 where oneDNN has bf16
    kernels (AVX512-BF16 or AMX), else None (emulated bf16 on other CPUs is slower than
    float32)."""
    if device.type == 'cuda':
        return 'bf16' if torch.cuda.is_bf16_supported() else 'fp16'
    if device.type == 'cpu':
        return 'bf16' if _cpu_has_native_bf16() else None
    return None


class InferenceRuntime:
    """The inference options of one backbone (see ``VideoPredictorBackbone``'s ``streaming``,
    ``stream_horizon``, ``inference_autocast`` and ``compile``). Holds no weights.

    Args:
        num_frames: T, frames per window (the streaming cache keeps 4 windows per stream).
        frozen: the backbone trains no weight (``compile`` needs it).
    """

    def __init__(self, num_frames: int, frozen: bool, autocast: Optional[str] = None,
                 compile: bool = False) -> None:
        if autocast not in AUTOCAST:
            raise ValueError(f"inference_autocast must be None, 'bf16', 'fp16' or 'auto', got "
                             f'{autocast!r}')
        if compile and not frozen:
            raise ValueError('compile=True is an inference option for frozen backbones; a '
                             'fine-tuned backbone trains uncompiled')
        self.num_frames, self.autocast, self.compile = num_frames, autocast, compile
        self.compiled, self.streaming = False, False

    def set_streaming(self, net: torch.nn.Module, mode: Union[bool, str] = True,
                      streams: int = 1, horizon: Optional[int] = None) -> None:
        """Give ``net`` a fresh, empty encoding cache (``mode``: ``True`` / ``'exact'``,
        ``'stateful'``) or none (``False``); see ``VideoPredictorBackbone.set_streaming``."""
        if mode not in (True, False, 'exact', 'stateful'):
            raise ValueError(f"streaming must be True/'exact', 'stateful' or False, got {mode!r}")
        if streams < 1:
            raise ValueError(f'streams must be >= 1, got {streams}')
        self.streaming = 'exact' if mode is True else mode
        net.encoding_cache = (EncodingCache(size=4 * self.num_frames * streams,
                                            stateful=mode == 'stateful', horizon=horizon)
                              if mode else None)

    def compile_net(self, net: torch.nn.Module) -> None:
        """Compile the heavy parts' forward methods in place (instance attributes). The modules
        themselves stay in the tree, so the state dict keeps its keys (``torch.compile(module)``
        would wrap them and prefix every key with ``_orig_mod.``: a detector checkpoint saved
        after compiling would no longer load)."""
        for name in ('encoder', 'predictor'):
            module = getattr(net, name, None)
            if isinstance(module, torch.nn.Module):
                module.forward = torch.compile(module.forward)
        ae = getattr(net, 'autoencoder', None)
        if ae is not None:
            ae.forward_stages = torch.compile(ae.forward_stages)
            ae.encode = torch.compile(ae.encode)
        self.compiled = True

    def run(self, net: torch.nn.Module, extract: Callable[[], Dict], device: torch.device,
            grad: bool) -> Dict:
        """``extract()`` (the predictor's ``extract_feat`` on one batch) under these options:
        compiled at the first call, under autocast at inference (``grad`` False) with the
        stages and gates returned in float32, so the head, the box coder and mmcv's NMS stay
        in float32."""
        if self.compile and not self.compiled:
            self.compile_net(net)
        cast = self.autocast if not grad else None
        if cast == 'auto':
            cast = auto_autocast(device)
        dtype = {'bf16': torch.bfloat16, 'fp16': torch.float16}.get(cast)
        with torch.autocast(device.type, dtype=dtype, enabled=cast is not None):
            feats = extract()
        if cast is not None:
            feats = dict(feats, stages=[s.float() for s in feats['stages']],
                         gates=[g.float() for g in feats['gates']])
        return feats
