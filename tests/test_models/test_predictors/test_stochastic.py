"""Stochastic prediction: SRVP, the best/mean/worst-of-S metric, FVD, stochastic Moving MNIST."""
import math
import os.path as osp

import numpy as np
import pytest
import torch

from conftest import ROOT, moving_square, run_tool, write_idx
from crevdet.datasets.moving_mnist import bouncing_sequence
from crevdet.evaluation import VideoPredictionMetric, frechet_distance, gaussian_fit
from crevdet.registry import METRICS, MODELS


def tiny_srvp(**kw):
    cfg = dict(type='SRVP', in_channels=1, n_past=4, n_future=3, frame_size=(32, 32), nf=8,
               nh=16, ny=4, nz=4, n_inf=2, n_content=2, mlp_hidden=32, mlp_layers=2, dt=0.5,
               num_samples=3)
    cfg.update(kw)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_srvp_shapes_elbo_terms_and_higher_frame_rate():
    model = tiny_srvp()
    x = moving_square()
    losses = model.loss(x)
    assert set(losses) == {'loss_rec', 'loss_kl_z', 'loss_kl_y'}
    assert all(v.ndim == 0 and torch.isfinite(v) and v >= 0 for v in losses.values())
    assert model(x).shape == (4, 3, 1, 32, 32)  # tensor mode: the mean prediction
    assert model.sample(x, 4, 3, num_samples=2).shape == (4, 2, 3, 1, 32, 32)
    # dt = 1/2: decoding every Euler state doubles the frame rate of the future
    assert model.sample(x, 4, 3, num_samples=2, every_substep=True).shape == (4, 2, 6, 1, 32, 32)
    out = model.predict(x)
    assert out[0].pred_samples.shape == (3, 3, 1, 32, 32)
    assert torch.equal(out[0].pred_frames, out[0].pred_samples[0])
    assert float(out[0].pred_samples.min()) >= 0 and float(out[0].pred_samples.max()) <= 1
    # future frames never leak into the observed part
    a = model.sample(x[:, :4], 4, 3, deterministic=True)
    assert torch.allclose(a, model.sample(x, 4, 3, deterministic=True), atol=1e-6)
    with pytest.raises(ValueError, match='dt must be 1/n'):
        tiny_srvp(dt=0.3)
    with pytest.raises(ValueError, match='frame_size'):
        model.loss(torch.rand(2, 7, 1, 16, 16))


def test_srvp_kl_is_zero_when_posterior_equals_prior():
    model = tiny_srvp()
    # make q(z|x) and p(z|y) output the same constant Gaussian, and q(y_1) = N(0, I)
    unit_sd = math.log(math.expm1(1 - 1e-4))  # softplus(b) + 1e-4 = 1
    with torch.no_grad():
        for lin, bias in ((model.q_z, 0.3), (model.p_z[-1], 0.3), (model.q_y[-1], None)):
            lin.weight.zero_()
            if bias is None:
                lin.bias[:model.ny].zero_()
                lin.bias[model.ny:].fill_(unit_sd)
            else:
                lin.bias.fill_(bias)
    losses = model.loss(moving_square())
    assert losses['loss_kl_z'].item() == 0.0
    assert abs(losses['loss_kl_y'].item()) < 1e-6
    # and KL against a different Gaussian is positive, as computed by hand
    from crevdet.models.predictors.srvp import kl_normal
    kl = kl_normal(torch.tensor([1.0]), torch.tensor([0.5]), torch.tensor([0.0]),
                   torch.tensor([1.0]))
    assert abs(float(kl) - (math.log(2) + (0.25 + 1) / 2 - 0.5)) < 1e-6


def test_srvp_overfits_a_small_batch():
    model = tiny_srvp()
    x = moving_square(seed=2)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        total = sum(model.loss(x).values())
        opt.zero_grad()
        total.backward()
        opt.step()
        first = first if first is not None else total.item()
    assert total.item() < 0.3 * first, (first, total.item())
    # its mean prediction beats predicting an empty frame
    pred = model.sample(x, 4, 3, deterministic=True)[:, 0]
    assert float(((pred - x[:, 4:]) ** 2).mean()) < 0.5 * float((x[:, 4:] ** 2).mean())


def test_srvp_sampling_is_reproducible_with_a_seed():
    model = tiny_srvp()
    x = moving_square()

    def draw(seed):
        return model.sample(x, 4, 3, 2, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(draw(1), draw(1))
    assert not torch.equal(draw(1), draw(2))
    a, b = model.sample(x, 4, 3, deterministic=True), model.sample(x, 4, 3, deterministic=True)
    assert torch.equal(a, b)


def test_best_mean_worst_of_samples_metric():
    gt = torch.zeros(2, 1, 4, 4)
    # sample errors: sample 0 is off by 0.1 everywhere, sample 1 by 0.3, sample 2 perfect on
    # step 1 only and 0.5 off on step 2
    s = torch.stack([torch.full_like(gt, 0.1), torch.full_like(gt, 0.3),
                     torch.stack([torch.zeros(1, 4, 4), torch.full((1, 4, 4), 0.5)])])
    metric = VideoPredictionMetric(metrics=('mse',), per_step=True)
    metric.process(None, [dict(pred_frames=s[0], pred_samples=s, gt_frames=gt,
                               last_observed=gt[0])])
    res = metric.compute_metrics(metric.results)
    # MSE per frame = sum of squared errors over the 16 pixels (values in [0, 1])
    unit = 16
    per = np.array([[0.01, 0.01], [0.09, 0.09], [0.0, 0.25]]) * unit
    assert res['best/mse_t1'] == pytest.approx(per[0, 0]) and res['best/mse_t2'] == \
        pytest.approx(per[0, 1])  # sample 0 has the best mean (0.01 < 0.09 < 0.125)
    assert res['worst/mse'] == pytest.approx(per[2].mean())  # mean 0.125 > 0.09
    assert res['mean/mse_t2'] == pytest.approx(per[:, 1].mean())
    assert res['mse'] == pytest.approx(per[0].mean())  # pred_frames = sample 0


def test_frechet_distance_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 3))
    assert abs(frechet_distance(*gaussian_fit(a), *gaussian_fit(a))) < 1e-9
    # 1-D Gaussians: (m1 - m2)^2 + (s1 - s2)^2
    assert frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([-1.0]),
                            np.array([[1.0]])) == pytest.approx(4 + 1)
    # diagonal covariances: sum over dimensions
    d = frechet_distance(np.zeros(2), np.diag([1.0, 9.0]), np.ones(2), np.diag([4.0, 1.0]))
    assert d == pytest.approx(2 + (1 - 2) ** 2 + (3 - 1) ** 2)
    with pytest.raises(ValueError, match='N >= 2'):
        gaussian_fit(np.zeros((1, 3)))


def test_fvd_metric_random_features_and_missing_i3d(tmp_path):
    metric = METRICS.build(dict(type='FVDMetric', feature_extractor=dict(
        type='RandomVideoFeatureExtractor', in_channels=1, dim=8), device='cpu'))
    rng = torch.Generator().manual_seed(0)
    clips = [torch.rand(4, 1, 16, 16, generator=rng) for _ in range(12)]
    same = [dict(gt_frames=c, pred_frames=c) for c in clips]
    metric.process(None, same)
    assert abs(metric.compute_metrics(metric.results)['fvd']) < 1e-6
    metric.results.clear()
    metric.process(None, [dict(gt_frames=c, pred_frames=(c * 0.2)) for c in clips])
    assert metric.compute_metrics(metric.results)['fvd'] > 1e-3
    missing = str(tmp_path / 'i3d_torchscript.pt')
    with pytest.raises(FileNotFoundError, match=r'looked for .*i3d_torchscript\.pt'):
        METRICS.build(dict(type='FVDMetric', feature_extractor=dict(
            type='I3DFeatureExtractor', weights=missing)))


def test_stochastic_moving_mnist_changes_direction_at_walls():
    digit = np.zeros((1, 28, 28), np.uint8)
    digit[0, 10:18, 10:18] = 255
    det = bouncing_sequence(digit, np.random.default_rng(5), 40, 64)
    sto = bouncing_sequence(digit, np.random.default_rng(5), 40, 64, stochastic=True)
    differ = [t for t in range(40) if not np.array_equal(det[t], sto[t])]
    assert differ, 'no wall hit in 40 frames'
    t0 = differ[0]
    assert np.array_equal(det[:t0], sto[:t0])  # identical until the first bounce
    assert all(int(f.sum()) == 64 * 255 for f in sto)  # the digit never leaves the frame


def test_srvp_config_trains_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    digits = np.zeros((40, 28, 28), np.uint8)
    digits[:, 6:22, 9:19] = rng.integers(100, 256, (40, 16, 10))
    write_idx(str(tmp_path / 'digits.gz'), digits)
    cfg = tmp_path / 'tiny_srvp.py'
    cfg.write_text(
        f"_base_ = '{osp.join(ROOT, 'configs', 'srvp_smmnist.py')}'\n"
        "model = dict(nf=8, nh=16, ny=4, nz=4, mlp_hidden=32, mlp_layers=2, num_samples=2)\n"
        f"mnist = '{tmp_path / 'digits.gz'}'\n"
        "_loader = dict(batch_size=2, num_workers=0, persistent_workers=False)\n"
        "train_dataloader = dict(**_loader, dataset=dict(mnist_file=mnist, digit_range=(0, 20),"
        " num_sequences=8))\n"
        "val_dataloader = dict(**_loader, dataset=dict(mnist_file=mnist, digit_range=(20, 40),"
        " num_sequences=2))\n"
        "test_dataloader = val_dataloader\n"
        "train_cfg = dict(max_iters=2, val_interval=2)\n"
        "default_hooks = dict(logger=dict(interval=1))\n")
    out = run_tool(['tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'wd')])
    assert out.returncode == 0, out.stderr[-3000:]
    log = out.stdout + out.stderr
    assert 'loss_kl_z' in log and 'video/best/psnr' in log and 'video/worst/ssim' in log
    assert osp.isfile(str(tmp_path / 'wd' / 'iter_2.pth'))


# ---------------------------------------------------------------- VQ-VAE + PixelCNN priors
def test_vq_ema_update_commitment_and_straight_through_by_hand():
    from crevdet.models.layers.vq import VectorQuantizerEMA
    vq = VectorQuantizerEMA(num_codes=2, dim=1, decay=0.5, beta=0.25, eps=1e-9,
                            restart_threshold=0)
    with torch.no_grad():
        vq.embedding.copy_(torch.tensor([[0.0], [10.0]]))
        vq.embed_sum.copy_(vq.embedding)
    z = torch.tensor([[[1.0, 2.0, 9.0]]], requires_grad=True)  # (B=1, D=1, S=3)
    out, loss, idx = vq(z)
    assert idx.tolist() == [[0, 0, 1]]
    assert out.tolist() == [[[0.0, 0.0, 10.0]]]  # quantised values in the forward pass
    assert loss.item() == pytest.approx(0.25 * (1 + 4 + 1) / 3)
    # N = 0.5 * 1 + 0.5 * (2, 1) = (1.5, 1); m = 0.5 * (0, 10) + 0.5 * (1 + 2, 9) = (1.5, 9.5)
    assert vq.cluster_size.tolist() == pytest.approx([1.5, 1.0])
    assert vq.embedding.flatten().tolist() == pytest.approx([1.0, 9.5], abs=1e-6)
    # straight-through: d out / d z is the identity
    (out * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert z.grad.flatten().tolist() == [1.0, 2.0, 3.0]
    # a dead code (EMA count below the threshold) is re-seeded onto a latent of the batch
    vq2 = VectorQuantizerEMA(num_codes=2, dim=1, decay=0.5, restart_threshold=1.0)
    with torch.no_grad():
        vq2.embedding.copy_(torch.tensor([[0.0], [100.0]]))
        vq2.embed_sum.copy_(vq2.embedding)
    vq2(torch.tensor([[[1.0, 2.0, 3.0]]]))  # code 1 unused: count 0.5 < 1
    assert float(vq2.embedding[1]) in (1.0, 2.0, 3.0) and float(vq2.cluster_size[1]) == 1.0
    vq.eval()  # no codebook update outside training
    before = vq.embedding.clone()
    vq(z.detach() + 5)
    assert torch.equal(vq.embedding, before)


def test_pixelcnn_priors_are_causal_by_gradients():
    from crevdet.models.layers.pixelcnn import ConditionalPixelCNN2d, PixelCNN3d
    torch.manual_seed(0)
    top = PixelCNN3d(num_codes=5, channels=8, num_layers=2, attn_every=1, num_heads=2)
    t, h, w = 2, 3, 3
    order = [(a, b, c) for a in range(t) for b in range(h) for c in range(w)]
    for i, (a, b, c) in enumerate(order):
        e = torch.randn(1, 8, t, h, w, requires_grad=True)
        top.forward_embedded(e)[0, :, a, b, c].sum().backward()
        g = e.grad.abs().sum(1)[0]  # (T, H, W)
        later = [g[p] for p in order[i:]]  # the position itself and everything after it
        assert all(float(v) == 0 for v in later), (a, b, c)
        if i:
            assert float(sum(g[p] for p in order[:i])) > 0  # it does see the past
    bottom = ConditionalPixelCNN2d(num_codes=5, cond_channels=3, channels=8, num_layers=2)
    cond = torch.randn(1, 3, h, w)
    order2 = [(b, c) for b in range(h) for c in range(w)]
    for i, (b, c) in enumerate(order2):
        e = torch.randn(1, 8, h, w, requires_grad=True)
        bottom.forward_embedded(e, cond)[0, :, b, c].sum().backward()
        g = e.grad.abs().sum(1)[0]
        assert all(float(g[p]) == 0 for p in order2[i:]), (b, c)


def tiny_vqvae(**kw):
    cfg = dict(type='VQVAEVideoPredictor', in_channels=1, n_past=4, n_future=4,
               vqvae=dict(nh=16, code_dim=8, num_codes=16, num_res=1),
               top_prior=dict(channels=16, num_layers=2, attn_every=1, num_heads=2),
               bottom_prior=dict(channels=16, num_layers=2), num_samples=2)
    cfg.update(kw)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_vqvae_two_stages_overfit_and_sample_reproducibly():
    x = moving_square(b=4, t=8, size=32)
    stage1 = tiny_vqvae()
    opt = torch.optim.Adam(stage1.parameters(), lr=3e-3)
    rec = []
    for _ in range(30):
        losses = stage1.loss(x)
        assert set(losses) == {'loss_rec', 'loss_commit'}
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
        rec.append(losses['loss_rec'].item())
    assert min(rec[-3:]) < 0.8 * rec[0]
    stage2 = tiny_vqvae(stage='prior')
    stage2.load_state_dict(stage1.state_dict())
    stage2.train()
    assert not any(p.requires_grad for p in stage2.vqvae.parameters())
    codebook = stage2.vqvae.vq_b.embedding.clone()
    opt = torch.optim.Adam([p for p in stage2.parameters() if p.requires_grad], lr=3e-3)
    first = None
    for _ in range(25):
        losses = stage2.loss(x)
        total = sum(losses.values())
        first = first if first is not None else total.item()
        opt.zero_grad()
        total.backward()
        opt.step()
    assert total.item() < 0.2 * first  # the priors memorise the codes of one batch
    assert torch.equal(stage2.vqvae.vq_b.embedding, codebook)  # frozen codebook
    stage2.eval()

    def draw(seed):
        return stage2.sample(x, 4, 4, 2, generator=torch.Generator().manual_seed(seed))
    a = draw(3)
    assert a.shape == (4, 2, 4, 1, 32, 32) and torch.equal(a, draw(3))
    out = stage2.predict(x)
    assert out[0].pred_samples.shape == (2, 4, 1, 32, 32)
    assert stage2(x).shape == (4, 4, 1, 32, 32)  # greedy decoding
    feats = stage2.extract_feat(x[:, :4])['stages']
    assert [tuple(f.shape) for f in feats] == [(4, 16, 8, 8), (4, 16, 4, 4)]
    with pytest.raises(ValueError, match='multiples of 4'):
        tiny_vqvae(n_past=3)
    with pytest.raises(ValueError, match="stage must be 'vqvae' or 'prior'"):
        tiny_vqvae(stage='both')


def test_vqvae_two_stage_configs_train_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    digits = np.zeros((40, 28, 28), np.uint8)
    digits[:, 6:22, 9:19] = rng.integers(100, 256, (40, 16, 10))
    mnist = str(tmp_path / 'digits.gz')
    write_idx(mnist, digits)
    tiny = ("model = dict(n_future=4, vqvae=dict(nh=16, code_dim=8, num_codes=16, num_res=1), "
            "top_prior=dict(channels=8, num_layers=1, attn_every=1, num_heads=2), "
            "bottom_prior=dict(channels=8, num_layers=1), num_samples=2)\n"
            "_loader = dict(batch_size=2, num_workers=0, persistent_workers=False)\n"
            f"train_dataloader = dict(**_loader, dataset=dict(mnist_file='{mnist}', "
            "digit_range=(0, 20), num_sequences=4, seq_len=8))\n"
            "default_hooks = dict(logger=dict(interval=1))\n")
    stage1 = tmp_path / 'stage1.py'
    stage1.write_text(f"_base_ = '{osp.join(ROOT, 'configs', 'vqvae_smmnist_stage1.py')}'\n" + tiny
                      + "test_dataloader = None\ntest_evaluator = None\ntest_cfg = None\n"
                      "train_cfg = dict(max_iters=2)\n")
    out = run_tool(['tools/train.py', str(stage1), '--work-dir', str(tmp_path / 's1')])
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'loss_commit' in out.stdout + out.stderr
    stage2 = tmp_path / 'stage2.py'
    stage2.write_text(
        f"_base_ = '{osp.join(ROOT, 'configs', 'vqvae_smmnist_stage2.py')}'\n" + tiny +
        f"load_from = '{tmp_path / 's1' / 'iter_2.pth'}'\n"
        f"val_dataloader = dict(**_loader, dataset=dict(mnist_file='{mnist}', "
        "digit_range=(20, 40), num_sequences=2, seq_len=8))\n"
        "test_dataloader = val_dataloader\n"
        "train_cfg = dict(max_iters=2, val_interval=2)\n")
    out = run_tool(['tools/train.py', str(stage2), '--work-dir', str(tmp_path / 's2')])
    log = out.stdout + out.stderr
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'Load checkpoint from' in log and 'loss_top' in log and 'loss_bottom' in log
    assert 'video/best/psnr' in log
    # the frozen VQ-VAE of stage 2 is stage 1's
    from crevdet.engine.checkpoint import load_local_checkpoint
    s1 = load_local_checkpoint(str(tmp_path / 's1' / 'iter_2.pth'))['state_dict']
    s2 = load_local_checkpoint(str(tmp_path / 's2' / 'iter_2.pth'))['state_dict']
    assert torch.equal(s1['vqvae.vq_b.embedding'], s2['vqvae.vq_b.embedding'])
    assert torch.equal(s1['vqvae.enc_b.0.weight'], s2['vqvae.enc_b.0.weight'])


def test_bottom_prior_cropped_logits_equal_full_logits():
    from crevdet.models.layers.pixelcnn import ConditionalPixelCNN2d
    torch.manual_seed(0)
    prior = ConditionalPixelCNN2d(num_codes=7, cond_channels=3, channels=8, num_layers=2)
    codes = torch.randint(0, 7, (2, 9, 11))
    biases = prior.cond_biases(torch.randn(2, 3, 9, 11))
    full = prior(codes, biases=biases)
    assert prior.reach == 3
    for y, x in [(0, 0), (4, 5), (8, 10), (8, 0), (2, 10)]:
        assert torch.allclose(prior.logits_at(codes, biases, y, x), full[:, :, y, x], atol=1e-5)


def test_vqvae_features_match_the_encoder_and_pre_activation_is_its_residual_stream():
    vq = tiny_vqvae().vqvae
    x = torch.rand(1, 1, 4, 32, 32)
    h_b, h_t = vq.features(x)
    assert torch.allclose(h_b, vq.enc_b(x)) and torch.allclose(h_t, vq.enc_t(vq.enc_b(x)))
    p_b, p_t = vq.features(x, pre_activation=True)
    assert torch.equal(torch.relu(p_b), h_b) and torch.equal(torch.relu(p_t), h_t)
    assert float(p_t.min()) < 0  # signed: not the ReLU output the detector used to get
