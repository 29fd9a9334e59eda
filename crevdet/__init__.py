"""crevdet: detection-focused self-supervised pretraining with CrevNet on OpenMMLab."""
from .version import __version__

__all__ = ['__version__']
