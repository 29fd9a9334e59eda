"""The one memory-measurement recipe of ``tools/analysis_tools/benchmark.py`` and
``crevnet_memory.py``: bytes autograd saves for backward, the peak memory of one training step
(CPU: growth of the process's peak RSS; CUDA: max allocated), and one measurement per fresh
subprocess (``ru_maxrss`` is a high-water mark: a process measures one step, first)."""
import contextlib
import json
import resource
import subprocess
import sys
from typing import Callable, Dict, Iterator, List, Optional

MB = 1024 ** 2


class SavedTensorBytes:
    """Counts the bytes autograd saves for backward inside :meth:`count`; ``regions`` counts
    the part saved while a named region (:meth:`region`) is open, e.g. the autoencoder."""

    def __init__(self) -> None:
        self.total = 0
        self.regions: Dict[str, int] = {}
        self._open: List[str] = []

    def _pack(self, t):
        n = t.numel() * t.element_size()
        self.total += n
        for name in set(self._open):
            self.regions[name] = self.regions.get(name, 0) + n
        return t

    @contextlib.contextmanager
    def count(self) -> Iterator['SavedTensorBytes']:
        import torch
        with torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t):
            yield self

    @contextlib.contextmanager
    def region(self, name: str) -> Iterator[None]:
        self.regions.setdefault(name, 0)
        self._open.append(name)
        try:
            yield
        finally:
            self._open.pop()


def peak_step_bytes(step: Callable[[], None], device: str) -> int:
    """Run ``step`` once and return its peak memory in bytes above what was held before: CUDA's
    max allocated, or on CPU the growth of this process's peak RSS (so measure the first step
    of a fresh process, before anything larger ran)."""
    import torch
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    sync()
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    step()
    sync()
    if device == 'cuda':
        return torch.cuda.max_memory_allocated() - base
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) * 1024  # KiB on Linux


def run_measurement(script: str, args: List[str], timeout: Optional[float] = None) -> dict:
    """Run ``python script *args`` in a fresh process that prints its result as JSON on its last
    stdout line; RuntimeError with the end of its stderr when it fails."""
    proc = subprocess.run([sys.executable, script] + list(args), capture_output=True, text=True,
                          timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode or not lines:
        err = (proc.stderr.strip().splitlines() or [f'exit code {proc.returncode}'])[-1]
        raise RuntimeError(f'{err}\n{proc.stderr[-2000:]}')
    return json.loads(lines[-1])
