from .base_video import BaseVideoDataset, resize_center_crop
from .kitti_raw import KittiRawVideoDataset
from .moving_mnist import MovingMNISTDataset, bouncing_sequence, read_idx_images
from .video_folder import VideoFolderDataset

__all__ = ['BaseVideoDataset', 'resize_center_crop', 'KittiRawVideoDataset', 'MovingMNISTDataset',
           'bouncing_sequence', 'read_idx_images', 'VideoFolderDataset']
