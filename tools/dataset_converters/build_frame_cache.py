"""Write the frame cache of a KITTI raw tree or a folder of videos / frame folders: every frame
resized and centre-cropped once, memory-mapped by the datasets at train time (PredNet's
preprocessing; ``crevdet/datasets/frame_cache.py`` documents the format).

    python tools/dataset_converters/build_frame_cache.py kitti_raw DATA_ROOT
        [--out DIR] [--frame-size 128 160] [--camera image_02]
    python tools/dataset_converters/build_frame_cache.py video_folder DATA_ROOT
        [--out DIR] [--frame-size 128 160]

``--out`` defaults to ``DATA_ROOT/frame_cache``, where the datasets find it by themselves
(``frame_cache='auto'``, their default); elsewhere (e.g. a read-only data folder), pass the
folder as the dataset's ``frame_cache=``. Every drive / source is cached whatever the split, so
one cache serves train, val and test. ``--frame-size 0 0`` keeps the native size. A cache is
written once: delete the folder to rebuild it (datasets refuse a stale one and say why).
"""
import argparse
import os.path as osp
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('kind', choices=['kitti_raw', 'video_folder'])
    parser.add_argument('data_root')
    parser.add_argument('--out', help='cache folder (default: DATA_ROOT/frame_cache)')
    parser.add_argument('--frame-size', type=int, nargs=2, default=[128, 160],
                        metavar=('H', 'W'), help='(default: 128 160, PredNet; 0 0: native)')
    parser.add_argument('--camera', default='image_02', help='kitti_raw: image_02 / image_03')
    args = parser.parse_args(argv)
    from crevdet.datasets import KittiRawVideoDataset, VideoFolderDataset
    from crevdet.datasets.frame_cache import DEFAULT_DIR, build_frame_cache
    from crevdet.cli.common import check_work_dir, dataset_errors
    size = None if args.frame_size == [0, 0] else tuple(args.frame_size)
    if min(args.frame_size) < 0 or (size is not None and min(size) < 1):
        raise SystemExit(f'error: --frame-size must be two positive numbers (or 0 0), got '
                         f'{args.frame_size}')
    # the datasets' own discovery (every drive / source, gaps allowed: runs are cut from the
    # cached folder at load time), not reading any frame; a missing or wrong data root is
    # the datasets' one-line error
    with dataset_errors():
        if args.kind == 'kitti_raw':
            ds = KittiRawVideoDataset(args.data_root, clip_len=2, split='all',
                                      camera=args.camera, frame_size=size, on_gap='split',
                                      frame_cache=None)
        else:
            ds = VideoFolderDataset(args.data_root, clip_len=2, frame_size=size,
                                    on_gap='split', frame_cache=None)
    root = args.data_root if osp.isdir(args.data_root) else osp.dirname(args.data_root)
    out = args.out or osp.join(root, DEFAULT_DIR)
    check_work_dir(out, '--out')  # a file there: refused before any frame is read
    n_src = len(ds.frame_sources)
    t0, done = time.perf_counter(), []

    def progress(source, n):
        done.append(n)
        print(f'[{len(done)}/{n_src}] {source}: {n} frames', file=sys.stderr, flush=True)

    with dataset_errors():  # e.g. a cache already there, an undecodable frame: named
        build_frame_cache(ds.frame_sources, root, out, size, ds.channels, progress)
    print(f'frame cache {out}: {n_src} source(s), {sum(done)} frames of '
          f'{"native size" if size is None else "x".join(map(str, size))}, '
          f'{time.perf_counter() - t0:.1f} s')


if __name__ == '__main__':
    main()
