"""Runner with crevdet's checkpoint policy, strict weight loading, non-finite guard and CPU
multi-process support."""
import filecmp
import os
import os.path as osp
from collections import OrderedDict

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.dist import master_only
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model

from crevdet.checkpoint.backbone_models import expand_pretrain_configs
from crevdet.checkpoint.files import (find_resumable_checkpoint, finish_save,
                                      install_checkpoint_loader, partial_save_name)
from crevdet.checkpoint.weights import (apply_revise_keys, check_weights_fit, fitting_part,
                                        upgrade_legacy_keys)
from crevdet.registry import RUNNERS
from .hooks import NaNGuardHook, PortableCheckpointHook


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


@RUNNERS.register_module()
class CrevdetRunner(Runner):
    """``mmengine.runner.Runner`` that

    * reads every checkpoint, resume included, with torch's weights-only unpickler, and writes
      checkpoints atomically (temp file, then rename) in a form that reader accepts
      (see crevdet/checkpoint/files.py);
    * resumes ``resume=True`` without ``load_from`` from the newest readable checkpoint found in
      the work dir, not from whatever ``last_checkpoint`` names;
    * loads ``load_from`` / test / resume checkpoints **strictly**: a checkpoint that does not fit
      the model exactly is an error naming the keys, unless the config sets ``load_strict=False``;
    * guards training against non-finite losses, gradients and checkpoints (:class:`NaNGuardHook`,
      registered unless the config lists its own);
    * never replaces an earlier run's config dump in the work dir.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for hook_type in (PortableCheckpointHook, NaNGuardHook):
            if not any(isinstance(h, hook_type) for h in self.hooks):
                self.register_hook(hook_type())

    def load_or_resume(self) -> None:
        # mmengine's auto-resume trusts `last_checkpoint`, which can be stale after a crash or
        # name a file in another folder (a copied work dir); scan the work dir instead
        if self._resume and self._load_from is None and not self._has_loaded:
            path, _ = find_resumable_checkpoint(self.work_dir)
            if path is None:  # mmengine's behaviour then: a fresh run (tools/train.py refuses)
                self.logger.warning(f'resume=True: no readable iter_N.pth / epoch_N.pth in '
                                    f'{self.work_dir}; starting a new run')
                self._resume = False
            self._load_from = path
        return super().load_or_resume()

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, file_client_args=None, *args,
                        backend_args=None, **kwargs) -> None:
        """mmengine's save, written under a temp name in the same folder and renamed when
        complete (:func:`~crevdet.checkpoint.files.finish_save`): a crash during the save never
        leaves a truncated ``iter_N.pth``. Remote backends (``backend_args``, ``s3://``...) are
        saved as mmengine does."""
        if file_client_args is not None or backend_args is not None or '://' in str(out_dir):
            return super().save_checkpoint(out_dir, filename, file_client_args, *args,
                                           backend_args=backend_args, **kwargs)
        temp_name = osp.join(osp.dirname(filename), partial_save_name(osp.basename(filename)))
        partial = osp.join(out_dir, temp_name)
        try:
            super().save_checkpoint(out_dir, temp_name, None, *args, **kwargs)
            finish_save(partial, osp.join(out_dir, filename))
        finally:  # an exception (not a kill) during the save: remove this process's temp file
            if osp.isfile(partial):
                os.remove(partial)

    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        # mmengine's own body, with the fit check before the (then partial-safe) load
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        raw = checkpoint.get('state_dict', checkpoint)
        state = apply_revise_keys(raw, revise_keys)  # once; the load below reuses it
        state = upgrade_legacy_keys(model, state)  # e.g. crevdet 0.1's backbone layout
        own = model.state_dict()
        exact = check_weights_fit(own, state, filename, f'the {type(model).__name__} of '
                                  f'{osp.basename(self.cfg.filename or "the config")}',
                                  strict=strict or self.cfg.get('load_strict', True),
                                  opt_out="'load_strict=False' (--cfg-options load_strict=False)")
        # a partial load keeps the entries that fit: torch refuses other shapes even when not strict
        kept = OrderedDict(state if exact else fitting_part(own, state))
        kept._metadata = getattr(raw, '_metadata', OrderedDict())  # BN version info and the like
        checkpoint = _load_checkpoint_to_model(model, dict(checkpoint, state_dict=kept), False,
                                               revise_keys=[])
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    @master_only
    def dump_config(self) -> None:
        """mmengine writes ``<work_dir>/<config name>``; a resumed or repeated run would replace
        the first run's copy. Keep it and write this run's beside it when they differ."""
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f'{self.timestamp}.py'
        path = osp.join(self.work_dir, name)
        if not osp.exists(path):
            return self.cfg.dump(path)
        new = osp.join(self.work_dir, f'{osp.splitext(name)[0]}_{self.timestamp}.py')
        self.cfg.dump(new)
        if filecmp.cmp(path, new, shallow=False):
            os.remove(new)
        else:
            self.logger.info(f'config differs from the earlier run\'s {name}: kept it, this '
                             f'run\'s is {osp.basename(new)}')

    @classmethod
    def from_cfg(cls, cfg: Config) -> 'CrevdetRunner':
        install_checkpoint_loader()
        prepare_cpu_distributed(cfg)
        expand_pretrain_configs(cfg)  # the dumped config holds the backbone's whole model
        return super().from_cfg(cfg)


def build_runner(cfg: Config) -> Runner:
    """The runner a config asks for (``runner_type``, mmengine's convention; crevdet's configs
    set ``'CrevdetRunner'``), :class:`CrevdetRunner` when it names none."""
    if 'runner_type' not in cfg:
        cfg.runner_type = 'CrevdetRunner'
    expand_pretrain_configs(cfg)
    return RUNNERS.build(cfg)
