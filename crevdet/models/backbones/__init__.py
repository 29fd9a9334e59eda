from .crevnet_backbone import CrevNetBackbone

__all__ = ['CrevNetBackbone']
