# The REPORT split of the real-video check (docs/benchmarks/real_video.md): the same training
# data as the CHOOSE split (configs/_base_/datasets/kitti_raw_sample.py: the first 60 of the 78
# real KITTI raw frames of ../shared/data), tested on real driving video that no training run and
# no choice ever looked at: the tails of the two shared highway clips (25 fps, every 2nd frame,
# ~12.5 Hz like KITTI's 10 Hz), 4 observed -> 1 predicted at 128x160 (PredNet's resize + crop):
# highway_clip.mp4 frames 14-37 (8 clips) and solidWhiteRight.mp4 frames 121-220 (46 clips).
_base_ = './kitti_raw_sample.py'
videos = '../shared/data/driving_video/'
_ds = dict(type='VideoFolderDataset', clip_len=5, frame_size=(128, 160), frame_step=2,
           clip_stride=1)
test_dataloader = dict(dataset=dict(
    _delete_=True, type='ConcatDataset', datasets=[
        dict(_ds, data_root=videos + 'highway_clip.mp4', frame_range=(14, 38)),
        dict(_ds, data_root=videos + 'solidWhiteRight.mp4', frame_range=(121, 221)),
    ]))
