from .crevnet import CrevNet

__all__ = ['CrevNet']
