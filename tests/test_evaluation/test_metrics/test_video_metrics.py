import numpy as np
import pytest
import torch

from crevdet.evaluation import VideoPredictionMetric, mae, mse, psnr, ssim


def test_mse_mae_psnr_values():
    gt = torch.zeros(2, 1, 4, 4)
    pred = torch.full((2, 1, 4, 4), 0.5)
    assert mse(pred, gt).tolist() == [4.0, 4.0]  # 16 pixels * 0.25: sum per frame
    assert mae(pred, gt).tolist() == [8.0, 8.0]
    assert torch.allclose(psnr(pred, gt), torch.full((2,), 10 * np.log10(4), dtype=torch.float64))
    with pytest.raises(ValueError, match='share'):
        mse(pred, gt[:1])


@pytest.mark.parametrize('channels', [1, 3])
def test_ssim_matches_scikit_image(channels):
    from skimage.metrics import structural_similarity
    rng = np.random.default_rng(0)
    a = rng.random((channels, 40, 52))
    b = np.clip(a + 0.2 * rng.standard_normal(a.shape), 0, 1)
    ours = ssim(torch.from_numpy(b)[None], torch.from_numpy(a)[None]).item()
    ref = structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                                use_sample_covariance=False, data_range=1, channel_axis=0)
    assert abs(ours - ref) < 1e-4
    assert ssim(torch.from_numpy(a)[None], torch.from_numpy(a)[None]).item() == pytest.approx(1)


def test_metric_reports_steps_and_copy_last():
    metric = VideoPredictionMetric()
    gt = torch.rand(3, 1, 16, 16)
    perfect = dict(pred_frames=gt.clone(), gt_frames=gt, last_observed=torch.zeros(1, 16, 16))
    metric.process(None, [perfect, perfect])
    res = metric.evaluate(2)
    assert res['video/mse'] == 0 and res['video/ssim'] == pytest.approx(1)
    assert res['video/copy_last/mse'] == pytest.approx(float((gt ** 2).sum(dim=(1, 2, 3)).mean()))
    assert {'video/mse_t1', 'video/mse_t3', 'video/copy_last/psnr_t2'} <= set(res)
    with pytest.raises(ValueError, match='unknown video metrics'):
        VideoPredictionMetric(metrics=('lpips', ))


def test_prediction_grid_layout(tmp_path):
    from crevdet.visualization import prediction_grid, save_prediction_visuals
    step = torch.arange(3.).view(3, 1, 1, 1) * 0.1  # distinct frames (GIF merges repeats)
    obs = torch.zeros(3, 1, 8, 10) + step
    gt, pred = torch.full((2, 1, 8, 10), .25) + step[:2], torch.full((2, 1, 8, 10), .5) + step[:2]
    g = prediction_grid(obs, gt, pred, pad=2, labels=False)
    assert g.shape == (4 * 10 + 2, 5 * 12 + 2, 3)
    assert (g[2:10, 2:12] == 0).all()                       # observed t=1, row 1
    assert (g[12:20, 38:48] == 64).all()                    # gt under the first future column
    assert (g[22:30, 38:48] == 128).all()                   # prediction below it
    assert (g[32:40, 38:48] == 51).all() and (g[32:40, 50:60] == 51).all()  # copy last (0.2)
    assert (g[12:20, 2:12] == 255).all()                    # blank under observed frames
    # labelled: a label column on the left, with dark text in each of the four rows
    lab = prediction_grid(obs, gt, pred, pad=2)
    label_w = lab.shape[1] - g.shape[1]
    assert label_w >= 64 and lab.shape[0] == g.shape[0]
    assert np.array_equal(lab[:, label_w:], g)
    for r in range(4):
        assert (lab[2 + r * 10:10 + r * 10, 2:label_w] < 128).any(), f'row {r} has no label'
    png, gif = save_prediction_visuals(str(tmp_path / 'v'), [obs], [gt], [pred])
    from PIL import Image
    assert Image.open(gif).n_frames == 5 and Image.open(png).size == (62 + label_w, 42)
