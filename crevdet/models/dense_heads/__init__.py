from .kitti_ssd_head import KittiSSDHead

__all__ = ['KittiSSDHead']
