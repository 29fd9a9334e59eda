# CrevNet pretraining on your own footage: a folder of .mp4/.avi files and/or frame folders.
# Set data_root, and frame_step so that clips run at roughly 10 fps (e.g. 3 for 30 fps video).
_base_ = './crevnet/crevnet-predict_kitti-raw-128x160_10to1.py'
data_root = 'data/my_videos/'
frame_step = 3
_ds = dict(_delete_=True, type='VideoFolderDataset', data_root=data_root, clip_len=11,
           frame_step=frame_step, frame_size=(128, 160))
train_dataloader = dict(dataset=dict(_ds, clip_stride=1, flip_prob=0.5))
val_dataloader = dict(dataset=dict(_ds, clip_stride=11))
test_dataloader = val_dataloader
custom_hooks = []
