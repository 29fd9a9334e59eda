from .base_video import BaseVideoDataset, resize_center_crop
from .caltech import CaltechPedestrianDataset
from .kitti_det import KittiDetDataset
from .kitti_labels import format_kitti_line, parse_kitti_label_line, read_kitti_label_file
from .kitti_raw import KittiRawVideoDataset
from .moving_mnist import MovingMNISTDataset, bouncing_sequence, read_idx_images
from .transforms import *  # noqa: F401,F403
from .video_folder import VideoFolderDataset

__all__ = ['BaseVideoDataset', 'resize_center_crop', 'CaltechPedestrianDataset', 'KittiDetDataset',
           'KittiRawVideoDataset', 'MovingMNISTDataset', 'bouncing_sequence', 'read_idx_images',
           'VideoFolderDataset', 'format_kitti_line', 'parse_kitti_label_line',
           'read_kitti_label_file']
