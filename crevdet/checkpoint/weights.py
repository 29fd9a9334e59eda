"""Strict weight hand-off: a checkpoint either fits a model exactly or the load fails, naming the
missing, unexpected and shape-mismatched keys (mmengine's ``Pretrained`` init and ``load_from``
load with ``strict=False`` and only warn, so a detector could silently train on a partly random,
frozen backbone). Partial loading is an explicit opt-in: ``strict=False``.
"""
import re
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log


class WeightMismatchError(RuntimeError):
    """A checkpoint's weights do not fit the model they are loaded into."""


def compare_state_dicts(model_sd: Dict[str, torch.Tensor], ckpt_sd: Dict[str, torch.Tensor]
                        ) -> Tuple[List[str], List[str], List[Tuple[str, tuple, tuple]]]:
    """``(missing, unexpected, [(key, checkpoint shape, model shape), ...])``."""
    missing = [k for k in model_sd if k not in ckpt_sd]
    unexpected = [k for k in ckpt_sd if k not in model_sd]
    mismatched = [(k, tuple(ckpt_sd[k].shape), tuple(v.shape)) for k, v in model_sd.items()
                  if k in ckpt_sd and hasattr(ckpt_sd[k], 'shape')
                  and tuple(ckpt_sd[k].shape) != tuple(v.shape)]
    return missing, unexpected, mismatched


def fit_report(missing: Sequence[str], unexpected: Sequence[str], mismatched: Sequence[tuple],
               n_model: int, show: int = 5) -> str:
    """One paragraph: counts and the first ``show`` keys of each kind."""
    def few(keys):
        return ', '.join(keys[:show]) + (f', ... ({len(keys) - show} more)'
                                         if len(keys) > show else '')
    parts = []
    if mismatched:
        parts.append(f'{len(mismatched)} with other shapes (' + few(
            [f'{k}: checkpoint {list(a)} vs model {list(b)}' for k, a, b in mismatched]) + ')')
    if missing:
        parts.append(f'{len(missing)} of the model\'s {n_model} keys missing ({few(missing)})')
    if unexpected:
        parts.append(f'{len(unexpected)} unexpected ({few(unexpected)})')
    return '; '.join(parts)


def _hint(missing, unexpected, n_model) -> str:
    if len(missing) == n_model and any(k.startswith('backbone.') for k in missing) and \
            not any(k.startswith('backbone.') for k in unexpected):
        return (' It looks like a video-prediction pretraining checkpoint given where a detector '
                'checkpoint is expected: pass the detector run\'s epoch_N.pth, or give the '
                "pretraining checkpoint to the backbone (model.backbone.init_cfg.checkpoint).")
    if unexpected and all(k.startswith('backbone.') for k in unexpected) and \
            len(missing) == n_model:
        return (" The checkpoint is a detector's: set prefix='backbone.' in the backbone's "
                'init_cfg.')
    return (' Check that the model config matches the one the checkpoint was trained with '
            '(e.g. hidden_channels, num_layers, blocks).')


class NonFiniteWeightsError(ValueError):
    """A checkpoint whose weights hold NaN or infinite values."""


def check_finite_weights(ckpt_sd: Dict[str, torch.Tensor], source: str, show: int = 5) -> None:
    """Raise :class:`NonFiniteWeightsError` naming ``source`` and the first keys when a
    floating-point tensor of ``ckpt_sd`` holds NaN or +-inf: such a model predicts NaN, and an
    evaluation of it would report AP 0 (or a training resume from it diverge) without a word.
    crevdet's runs never write such checkpoints (``NaNGuardHook``)."""
    if not isinstance(ckpt_sd, dict):
        return
    bad = [k for k, v in ckpt_sd.items() if torch.is_tensor(v) and v.is_floating_point()
           and not bool(torch.isfinite(v).all())]
    if bad:
        raise NonFiniteWeightsError(
            f'weights in {source} hold NaN or infinite values in {len(bad)} tensor(s) ('
            + ', '.join(bad[:show]) + (f', ... ({len(bad) - show} more)' if len(bad) > show
                                       else '')
            + '): the training that wrote it diverged, or the file is damaged. Use an earlier '
            'checkpoint of that run')


def check_weights_fit(model_sd: Dict[str, torch.Tensor], ckpt_sd: Dict[str, torch.Tensor],
                      source: str, target: str, strict: bool = True,
                      opt_out: str = 'strict=False') -> bool:
    """Raise :class:`WeightMismatchError` unless ``ckpt_sd`` fits ``model_sd`` exactly; with
    ``strict=False`` log the same report as a warning instead. True when the fit is exact.
    Non-finite weights are always an error (:func:`check_finite_weights`)."""
    check_finite_weights(ckpt_sd, source)
    missing, unexpected, mismatched = compare_state_dicts(model_sd, ckpt_sd)
    if not (missing or unexpected or mismatched):
        return True
    report = fit_report(missing, unexpected, mismatched, len(model_sd))
    if strict:
        raise WeightMismatchError(
            f'weights in {source} do not fit {target}: {report}.'
            f'{_hint(missing, unexpected, len(model_sd))} To load the matching part anyway '
            f'(the rest stays randomly initialised), set {opt_out}.')
    print_log(f'partial load ({opt_out}) of {source} into {target}: {report}; those keys keep '
              'their initialisation', logger='current', level=30)
    return False


def fitting_part(model_sd: Dict[str, torch.Tensor], ckpt_sd: Dict[str, torch.Tensor]
                 ) -> Dict[str, torch.Tensor]:
    """The checkpoint entries a partial load can take: keys the model has, with its shapes
    (``load_state_dict(strict=False)`` still refuses other shapes)."""
    return {k: v for k, v in ckpt_sd.items() if k in model_sd and v.shape == model_sd[k].shape}


def strip_prefix(state_dict: Dict[str, torch.Tensor], prefix: Optional[str]
                 ) -> Dict[str, torch.Tensor]:
    """Keys under ``prefix`` (e.g. ``'backbone.'``) with the prefix removed; all when None."""
    if not prefix:
        return dict(state_dict)
    out = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    if not out:
        raise WeightMismatchError(f"no key of the checkpoint starts with prefix {prefix!r}")
    return out


def apply_revise_keys(state_dict: Dict[str, torch.Tensor],
                      rules: Sequence[Tuple[str, str]]) -> Dict[str, torch.Tensor]:
    """mmengine's ``revise_keys``: regex substitutions applied to every key."""
    for pattern, repl in rules:
        state_dict = {re.sub(pattern, repl, k): v for k, v in state_dict.items()}
    return state_dict


def upgrade_legacy_keys(model: torch.nn.Module, state: Dict[str, torch.Tensor]
                        ) -> Dict[str, torch.Tensor]:
    """Rename the keys of checkpoints written with an older module layout: every submodule with
    an ``upgrade_keys(state, prefix)`` method (e.g. ``VideoPredictorBackbone``) rewrites its own
    keys. Needed before :func:`check_weights_fit`, which compares key names."""
    for name, module in model.named_modules():
        if hasattr(module, 'upgrade_keys'):
            state = module.upgrade_keys(state, prefix=f'{name}.' if name else '')
    return state
