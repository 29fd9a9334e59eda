"""Runner with crevdet's checkpoint policy and CPU multi-process support."""

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.runner import Runner

from .checkpoint import install_checkpoint_loader, trusted_checkpoints
from .hooks import PortableCheckpointHook


def prepare_cpu_distributed(cfg: Config) -> None:
    """mmengine 0.10.7's pytorch launcher calls ``torch.cuda.set_device`` and wraps DDP with
    ``device_ids=[LOCAL_RANK]``; both fail without a GPU. Under torchrun on a CPU-only machine we
    initialise a gloo process group ourselves (the Runner then skips its own init) and wrap with
    ``device_ids=None``. On GPUs nothing changes (NCCL, mmengine's defaults)."""
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


class CrevdetRunner(Runner):
    """``mmengine.runner.Runner`` whose ``resume`` trusts the user's own checkpoint (full load),
    while every other load stays ``weights_only=True``, and whose checkpoints are weights-only
    loadable (see crevdet/engine/checkpoint.py)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not any(isinstance(h, PortableCheckpointHook) for h in self.hooks):
            self.register_hook(PortableCheckpointHook())

    def resume(self, filename, *args, **kwargs):
        with trusted_checkpoints():
            return super().resume(filename, *args, **kwargs)

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'CrevdetRunner':
        install_checkpoint_loader()
        prepare_cpu_distributed(cfg)
        return super().from_cfg(cfg)
