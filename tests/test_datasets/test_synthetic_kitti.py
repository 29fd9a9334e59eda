"""The synthetic world's moving camera: boxes, truncation and parked objects follow the camera
exactly; the still camera's data are unchanged; everything is a pure function of the seed."""
import numpy as np
import pytest

from crevdet.datasets.synthetic_kitti import Scene, make_synthetic_kitti

SIZE = (94, 310)


def moving_scene(seed=3, n=5):
    return Scene(np.random.default_rng(seed), SIZE, n_objects=n, camera='moving')


def test_the_camera_moves_and_starts_at_frame_zero():
    sc = moving_scene()
    assert sc.camera_at(0) == (1.0, 0.0, 0.0)
    s, pan, pitch = sc.camera_at(30)
    assert s > 1.05  # forward motion: a growing scale about the vanishing point
    assert abs(pitch) < 4.5  # a little pitch
    still = Scene(np.random.default_rng(3), SIZE, n_objects=5)
    assert still.camera_at(30) == (1.0, 0.0, 0.0)
    # the background itself moves: frames differ outside every object's box
    a = sc.render(0, np.random.default_rng(0))[0].astype(int)
    b = sc.render(20, np.random.default_rng(0))[0].astype(int)
    sky = slice(0, sc.horizon - 2)
    assert np.abs(a[sky] - b[sky]).mean() > 3


def object_pixels(sc, t, threshold):
    """Frame ``t`` of a one-object scene rendered with and without its object (the same noise):
    the object's labels, and the pixels that differ by more than ``threshold``."""
    o = sc.objects[0]
    img, labels = sc.render(t, np.random.default_rng(1))
    sc.objects = []
    empty, _ = sc.render(t, np.random.default_rng(1))
    sc.objects = [o]
    changed = np.abs(img.astype(int) - empty.astype(int)).max(-1) > threshold
    return [lab for lab in labels if lab['type'] != 'DontCare'], changed


def test_boxes_follow_the_camera_exactly():
    """Each labelled box is where the object's pixels are: render every frame with and without
    one object (same noise), and the changed pixels' extent equals the clipped label box."""
    for seed in range(4):
        sc = moving_scene(seed, n=1)
        o = sc.objects[0]
        for t in (0, 9, 25):
            objs, changed = object_pixels(sc, t, 0)
            if not objs:
                continue
            x1, y1, x2, y2 = objs[0]['bbox']
            ys, xs = np.nonzero(changed)
            assert len(xs), (seed, t)
            # drawing rounds box corners to whole pixels
            assert xs.min() >= np.floor(x1) - 1 and xs.max() <= np.ceil(x2) + 1, (seed, t)
            assert ys.min() >= np.floor(y1) - 1 and ys.max() <= np.ceil(y2) + 1, (seed, t)
            assert ys.min() <= y1 + 2 and ys.max() >= y2 - 2, (seed, t)
            if objs[0]['type'] in ('Car', 'Van'):  # a person's body is narrower than its box
                assert xs.min() <= x1 + 2 and xs.max() >= x2 - 2, (seed, t)
            # truncation is computed from the camera-mapped, unclipped box
            ux1, uy1, ux2, uy2 = sc.box(o, t)
            full = (ux2 - ux1) * (uy2 - uy1)
            vis = (min(ux2, SIZE[1] - 1) - max(ux1, 0)) * (min(uy2, SIZE[0] - 1) - max(uy1, 0))
            assert objs[0]['truncated'] == pytest.approx(1 - vis / full, abs=0.006)


def test_parked_objects_move_only_with_the_camera():
    sc = moving_scene(seed=5, n=12)
    parked = [o for o in sc.objects if o['vx'] == 0 and o['vdepth'] == 0]
    assert 3 <= len(parked) <= 10  # about half
    o = parked[0]
    wx1, wy1, wx2, wy2 = sc.world_box(o, 0)
    for t in (0, 11, 33):
        assert sc.world_box(o, t) == (wx1, wy1, wx2, wy2)
        s, pan, pitch = sc.camera_at(t)
        x1, y1, x2, y2 = sc.box(o, t)
        assert x1 == pytest.approx(SIZE[1] / 2 + s * (wx1 - SIZE[1] / 2) + pan)
        assert y2 == pytest.approx(sc.horizon + s * (wy2 - sc.horizon) + pitch)
        assert (x2 - x1) == pytest.approx(s * (wx2 - wx1))  # scale about the vanishing point


def test_moving_world_is_a_pure_function_of_the_seed(tmp_path):
    kw = dict(seed=2, size=SIZE, raw_drives=1, raw_frames=3, det_train=2, det_val=1,
              camera='moving')
    a = make_synthetic_kitti(str(tmp_path / 'a'), **kw)
    b = make_synthetic_kitti(str(tmp_path / 'b'), **kw)
    import filecmp
    import os
    for root in ('raw', 'object'):
        for dirpath, _, files in os.walk(a[root]):
            for f in files:
                other = os.path.join(b[root], os.path.relpath(os.path.join(dirpath, f), a[root]))
                assert filecmp.cmp(os.path.join(dirpath, f), other, shallow=False)
    with pytest.raises(ValueError, match="camera must be one of"):
        make_synthetic_kitti(str(tmp_path / 'c'), camera='dashcam')


def _digest(folder):
    import hashlib
    import os
    h = hashlib.sha256()
    for root, _, files in sorted(os.walk(folder)):
        for f in sorted(files):
            h.update(os.path.relpath(os.path.join(root, f), folder).encode())
            h.update(open(os.path.join(root, f), 'rb').read())
    return h.hexdigest()[:16]


@pytest.mark.parametrize('camera,digest', [('still', '9c19888c6b1018c3'),
                                           ('moving', 'b58d3e9af220ac49')])
def test_the_demo_worlds_stay_byte_identical(tmp_path, camera, digest):
    """The default worlds' generator at full size (6 drives, shortened): the same bytes as
    before camera models and more video existed (digests written by the code of 2026-12-04,
    opencv-python 4.14, numpy 2.4)."""
    make_synthetic_kitti(str(tmp_path / 'w'), seed=0, camera=camera, raw_drives=6,
                         raw_frames=4, det_train=6, det_val=3)
    assert _digest(str(tmp_path / 'w')) == digest


@pytest.mark.parametrize('camera', ['fast_pan', 'roll', 'keystone'])
def test_camera_models_warp_frames_and_boxes_together(camera):
    """A camera model's labelled box is where its object's pixels are after the global warp:
    frames rendered with and without the object differ only inside (about) the box."""
    from crevdet.datasets.synthetic_kitti import CAMERA_MODELS
    style = CAMERA_MODELS[camera]
    checked = 0
    for seed in range(6):
        sc = Scene(np.random.default_rng(seed), SIZE, n_objects=1, camera=camera)
        for t in (0, 7, 19):
            objs, changed = object_pixels(sc, t, 8)
            if not objs or changed.sum() < 20:
                continue
            x1, y1, x2, y2 = objs[0]['bbox']
            ys, xs = np.nonzero(changed)
            tol = 3  # interpolation of the warp spreads an edge by a pixel or two
            assert xs.min() >= x1 - tol and xs.max() <= x2 + tol, (seed, t)
            assert ys.min() >= y1 - tol and ys.max() <= y2 + tol, (seed, t)
            checked += 1
        if style['roll'] or style['keystone']:
            assert sc.global_warp(3) is not None and not np.allclose(
                sc.global_warp(3), sc.global_warp(11))
        else:
            assert sc.global_warp(3) is None
    assert checked >= 5
    # more parked objects than the dashcam's half where the model asks for them
    many = Scene(np.random.default_rng(0), SIZE, n_objects=60, camera=camera)
    parked = np.mean([o['vx'] == 0 and o['vdepth'] == 0 for o in many.objects])
    assert abs(parked - style['parked']) < 0.2


def test_demo_refuses_a_file_as_its_data_folder_and_another_world(tmp_path):
    from conftest import load_tool
    demo = load_tool('tools/demo.py')
    f = tmp_path / 'data.txt'
    f.write_text('mine')
    with pytest.raises(SystemExit, match='is a file, not a folder'):
        demo.ensure_data(str(f), 'moving')
    assert f.read_text() == 'mine'
    d = tmp_path / 'demo_data'
    d.mkdir()
    (d / '.complete').write_text('seed=0\n')  # written before the camera existed: still
    with pytest.raises(SystemExit, match='another world'):
        demo.ensure_data(str(d), 'moving')
    (d / '.complete').write_text('seed=0 camera=moving\n')
    with pytest.raises(SystemExit, match=r'seed=0 camera=moving.*asks for seed=1 camera=moving'):
        demo.ensure_data(str(d), 'moving', data_seed=1)
    with pytest.raises(SystemExit, match=r'asks for seed=0 camera=moving video=480'):
        demo.ensure_data(str(d), 'moving', video_frames=480)


def test_demo_refuses_a_file_as_its_work_dir_and_bad_video_amounts(tmp_path, capsys):
    from conftest import load_tool
    demo = load_tool('tools/demo.py')
    f = tmp_path / 'runs.txt'
    f.write_text('mine')
    with pytest.raises(SystemExit):
        demo.main(['--work-dir', str(f), '--data-dir', str(tmp_path / 'd')])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f'--work-dir {f} is a file, not a folder' in err and f.read_text() == 'mine'
    for bad in ('250', '200'):
        with pytest.raises(SystemExit):
            demo.main(['--video-frames', bad, '--work-dir', str(tmp_path / 'w')])
        assert 'multiple of 40' in capsys.readouterr().err
    assert not (tmp_path / 'd').exists() and not (tmp_path / 'w').exists()


def test_demo_label_subset_keeps_the_first_images_and_the_iteration_count(tmp_path):
    from conftest import load_tool
    demo = load_tool('tools/demo.py')
    sets = tmp_path / 'ImageSets'
    sets.mkdir()
    ids = [f'{i:06d}' for i in range(8)]
    (sets / 'train.txt').write_text('\n'.join(ids) + '\n')
    assert demo.label_subset(str(tmp_path), 8) == ('ImageSets/train.txt', 8)
    assert demo.label_subset(str(tmp_path), 2) == ('ImageSets/train_2.txt', 8)
    assert (sets / 'train_2.txt').read_text().split() == ids[:2]
    assert demo.label_subset(str(tmp_path), 2)[0] == 'ImageSets/train_2.txt'  # reused as is
    (sets / 'train_2.txt').write_text('000005\n000006\n')
    with pytest.raises(SystemExit, match='does not list the first 2 images'):
        demo.label_subset(str(tmp_path), 2)
    assert (sets / 'train_2.txt').read_text() == '000005\n000006\n'  # the user's file is kept
    for n in (0, 9):
        with pytest.raises(SystemExit, match=r'--labels must be in \[1, 8\]'):
            demo.label_subset(str(tmp_path), n)
    # a quarter of the labels: four times the epochs, the same iterations, the same decay share
    full, quarter = demo.detector_schedule(6, 0), demo.detector_schedule(6, 0, 'x.txt', 4.0)
    assert (full['train_cfg.max_epochs'], quarter['train_cfg.max_epochs']) == (6, 24)
    assert (full['param_scheduler.1.milestones'], quarter['param_scheduler.1.milestones']) == \
        ([4], [16])
    assert quarter['train_dataloader.dataset.ann_file'] == 'x.txt'
