"""Everything crevdet does with checkpoint files, in one place that ``engine`` and ``models``
both use (neither reads a checkpoint by itself):

* :mod:`.files`: reading (torch's weights-only unpickler with a fixed allowlist), atomic saving,
  and the run folder's checkpoints (``--resume``, a run folder standing for its newest file);
* :mod:`.weights`: strict loading (missing / unexpected / mis-shaped keys named), non-finite
  weights refused, key prefixes and upgrades;
* :mod:`.stored_config`: the config a checkpoint stores, parsed and never executed, and the
  architecture check against the model a detector builds (each predictor declares its own
  training-only keys, ``TRAINING_ONLY_KEYS``);
* :mod:`.registered_types`: which ``type`` names such a stored config may build;
* :mod:`.backbone_models`: a detector config's backbones expanded, when the config is loaded,
  into the model dicts they build (models read no files).

Layer: below ``models`` and ``engine``; imports ``paths``, ``registry``, ``pretrain_configs`` and
mmengine.
"""
from .backbone_models import expand_pretrain_configs
from .files import (CHECKPOINT_SAFE_GLOBALS, CheckpointFileError, find_resumable_checkpoint,
                    finish_save, install_checkpoint_loader, load_local_checkpoint,
                    newest_run_checkpoint, plan_run_dir, resolve_checkpoint)
from .registered_types import UnregisteredTypeError, check_registered_types
from .stored_config import (architecture_differences, checkpoint_config, checkpoint_model,
                            model_from_checkpoint)
from .weights import (NonFiniteWeightsError, WeightMismatchError, check_finite_weights,
                      check_weights_fit)

__all__ = [
    'expand_pretrain_configs', 'CHECKPOINT_SAFE_GLOBALS', 'CheckpointFileError',
    'find_resumable_checkpoint', 'finish_save', 'install_checkpoint_loader',
    'load_local_checkpoint', 'newest_run_checkpoint', 'plan_run_dir', 'resolve_checkpoint',
    'UnregisteredTypeError', 'check_registered_types', 'architecture_differences',
    'checkpoint_config', 'checkpoint_model', 'model_from_checkpoint', 'NonFiniteWeightsError',
    'WeightMismatchError', 'check_finite_weights', 'check_weights_fit'
]
