"""Stochastic prediction: SRVP, the best/mean/worst-of-S metric, FVD, stochastic Moving MNIST."""
import math
import os.path as osp

import numpy as np
import pytest
import torch

from conftest import ROOT, fake_digits, moving_square, run_tool, write_idx
from crevdet.datasets.moving_mnist import bouncing_sequence
from crevdet.evaluation import VideoPredictionMetric, frechet_distance, gaussian_fit
from crevdet.registry import METRICS, MODELS


def tiny_srvp(**kw):
    cfg = dict(type='SRVP', in_channels=1, n_past=4, n_future=3, frame_size=(32, 32), nf=8,
               nh=16, ny=4, nz=4, n_inf=2, n_content=2, inf_hidden=16, inf_layers=2,
               mlp_hidden=32, mlp_layers=2, dt=0.5, num_samples=3)
    cfg.update(kw)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_srvp_shapes_elbo_terms_and_higher_frame_rate():
    model = tiny_srvp()
    x = moving_square()
    losses = model.loss(x)
    assert set(losses) == {'loss_rec', 'loss_kl_z', 'loss_kl_y', 'loss_l2_res'}
    assert 'loss_l2_res' not in tiny_srvp(l2_res=0).loss(x)
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


def test_srvp_residual_penalty_by_hand():
    """loss_l2_res = l2_res * sum over updates of ||dt f(y, z)||_2, per frame (authors' l2_res)."""
    model = tiny_srvp(l2_res=0.5)  # dt = 1/2: two updates per frame
    c = torch.tensor([3.0, 0.0, 4.0, 0.0])  # f == c: every update is dt * c, norm 2.5
    with torch.no_grad():
        model.dynamics[-1].weight.zero_()
        model.dynamics[-1].bias.copy_(c)
    x = moving_square()  # 7 frames: 6 transitions of 2 updates
    assert abs(model.loss(x)['loss_l2_res'].item() - 0.5 * 6 * 2 * 2.5 / 7) < 1e-5


def test_srvp_bernoulli_likelihood_by_hand():
    """likelihood='bernoulli': loss_rec = per frame, sum over pixels of BCE(logit, x); the
    Gaussian's is sum (sigmoid(logit) - x)^2 / (2 nu). Frames outside [0, 1] are refused."""
    x = moving_square()  # (4, 7, 1, 32, 32) in [0, 1]
    logit = -3.0
    for lik in ('bernoulli', 'gaussian'):
        model = tiny_srvp(likelihood=lik, nu=0.5)
        with torch.no_grad():  # the decoder outputs the same logit everywhere
            model.decoder.last.weight.zero_()
            model.decoder.last.bias.fill_(logit)
        got = model.loss(x)['loss_rec'].item()
        p = 1 / (1 + math.exp(-logit))
        if lik == 'bernoulli':
            per_px = -(x * math.log(p) + (1 - x) * math.log(1 - p))
        else:
            per_px = (p - x) ** 2 / (2 * 0.5)
        want = per_px.flatten(2).sum(-1).mean().item()
        assert abs(got - want) < 1e-4 * want, (lik, got, want)
    with pytest.raises(ValueError, match=r"needs frames in \[0, 1\], got values in \[-1"):
        tiny_srvp(likelihood='bernoulli').loss(x * 2 - 1)
    with pytest.raises(ValueError, match="likelihood must be 'gaussian' or 'bernoulli'"):
        tiny_srvp(likelihood='laplace')
    # sampling is unchanged: frames in [0, 1]
    with torch.no_grad():
        out = tiny_srvp(likelihood='bernoulli').sample(x, 4, 3, num_samples=2)
    assert out.shape == (4, 2, 3, 1, 32, 32) and 0 <= float(out.min()) <= float(out.max()) <= 1


def test_srvp_content_skips_and_initialisation_as_the_authors():
    model = tiny_srvp(skip=True)
    h = torch.randn(3, 7, 16)
    idx = torch.tensor([[0, 5], [2, 3], [6, 1]])
    with torch.no_grad():
        w = model.content_of(h, idx)
    assert w.shape == (3, 16) and float(w.abs().max()) < 1  # Linear + tanh
    assert torch.allclose(w, model.content_of(h, idx.flip(1)), atol=1e-6)  # a set, not a list
    assert torch.allclose(w[0], model.content_of(h[:1], idx[:1])[0], atol=1e-6)  # per sample
    skips = [torch.randn(3, 7, 2, 4, 4)]
    picked = model.skips_of(skips, torch.tensor([4, 0, 6]))[0]
    assert torch.equal(picked, torch.stack([skips[0][0, 4], skips[0][1, 0], skips[0][2, 6]]))
    assert tiny_srvp(skip=False).skips_of(skips, torch.tensor([4, 0, 6])) == []
    # prediction conditions on the last observed frame's skips: the other observed frames
    # reach the decoder only through y and w, so changing frame 0 but not 3 keeps the skips
    x = moving_square()
    enc = model.encode(x[:, :4])[1]
    assert all(torch.equal(a, b[:, 3]) for a, b in zip(
        model.skips_of(enc, torch.full((4,), 3)), enc))
    # the authors' initialisation: N(0, 0.02) encoder/decoder, orthogonal dynamics
    big = MODELS.build(dict(type='SRVP', frame_size=(64, 64)))
    conv = big.encoder.stages[1][0].weight
    assert abs(float(conv.std()) - 0.02) < 2e-3 and abs(float(conv.mean())) < 2e-3
    lin = big.dynamics[2].weight  # a 512 x 512 hidden layer
    assert torch.allclose(lin @ lin.T, 1.41 ** 2 * torch.eye(512), atol=1e-3)
    assert big.skip is False and big.n_content == big.n_inf == 5 and big.dt == 1.0


def test_srvp_overfits_a_small_batch():
    model = tiny_srvp(skip=True)  # 60 steps: the last frame's skips give the decoder its shape
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
    # its mean prediction beats predicting an empty frame (untrained: 4x worse than empty)
    with torch.no_grad():
        pred = model.sample(x, 4, 3, deterministic=True)[:, 0]
    assert float(((pred - x[:, 4:]) ** 2).mean()) < 0.75 * float((x[:, 4:] ** 2).mean())


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
    digits = fake_digits(40, box=(6, 22, 9, 19))
    write_idx(str(tmp_path / 'digits.gz'), digits)
    cfg = tmp_path / 'tiny_srvp.py'
    cfg.write_text(
        f"_base_ = '{osp.join(ROOT, 'configs', 'srvp_smmnist.py')}'\n"
        "model = dict(nf=8, nh=16, ny=4, nz=4, inf_hidden=16, mlp_hidden=32, mlp_layers=2, "
        "num_samples=2)\n"
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


def _seen(fn, e, pos):
    """Positions of ``e (1, C, *grid)`` whose embedding changes the logits at ``pos``."""
    e = e.clone().requires_grad_(True)
    fn(e)[(0, slice(None)) + pos].sum().backward()
    return {p for p in zip(*torch.nonzero(e.grad.abs().sum(1)[0], as_tuple=True))
            for p in [tuple(int(i) for i in p)]}


def _in_field(pos, q, layers, k2=1):
    """Whether ``q`` lies in the receptive field of the gated stacks at ``pos`` (same slice):
    the rows above within ``layers * k2 + 1`` and columns within ``layers * k2`` either way
    (vertical stack), and the row itself within ``layers * k2 + 1`` to the left (horizontal)."""
    (y, x), (qy, qx) = pos[-2:], q[-2:]
    reach = layers * k2
    return (y - reach - 1 <= qy < y and abs(qx - x) <= reach) or \
        (qy == y and x - reach - 1 <= qx < x)


def test_pixelcnn_priors_see_every_earlier_position_of_their_field_and_nothing_else():
    """No blind spot (the classic single-stack PixelCNN never sees up-and-right) and no leak:
    gradients of one position's logits over the whole input, for every position."""
    import itertools

    from crevdet.models.layers.pixelcnn import ConditionalPixelCNN2d, PixelCNN3d
    torch.manual_seed(0)
    # bottom prior (2D, conditioned): the field's every earlier position, nothing at or after
    bottom = ConditionalPixelCNN2d(num_codes=5, cond_channels=3, channels=8, num_layers=2)
    cond = torch.randn(1, 3, 6, 7)
    grid = list(itertools.product(range(6), range(7)))
    e = torch.randn(1, 8, 6, 7)
    for i, pos in enumerate(grid):
        seen = _seen(lambda x: bottom.forward_embedded(x, cond), e, pos)
        assert seen <= set(grid[:i]), (pos, sorted(seen - set(grid[:i])))
        field = {q for q in grid[:i] if _in_field(pos, q, 2)}
        assert field <= seen, (pos, sorted(field - seen))
    assert (1, 5) in _seen(lambda x: bottom.forward_embedded(x, cond), e, (2, 3))  # up-right
    # top prior with attention: exactly every earlier (t, y, x) position
    top = PixelCNN3d(num_codes=5, channels=8, num_layers=2, attn_every=1, num_heads=2)
    cube = list(itertools.product(range(3), range(3), range(4)))
    e = torch.randn(1, 8, 3, 3, 4)
    for i, pos in enumerate(cube):
        assert _seen(top.forward_embedded, e, pos) == set(cube[:i]), pos
    # top prior without attention: its field in the slice, the earlier slice's neighbourhood
    # (the temporal stack: two 3x3 layers), nothing at or after the position
    conv_only = PixelCNN3d(num_codes=5, channels=8, num_layers=2, attn_every=0)
    cube = list(itertools.product(range(2), range(5), range(5)))
    e = torch.randn(1, 8, 2, 5, 5)
    for i, pos in enumerate(cube):
        seen = _seen(conv_only.forward_embedded, e, pos)
        assert seen <= set(cube[:i]), (pos, sorted(seen - set(cube[:i])))
        t, y, x = pos
        field = {q for q in cube[:i] if (q[0] == t and _in_field(pos, q, 2)) or
                 (q[0] == t - 1 and abs(q[1] - y) <= 2 and abs(q[2] - x) <= 2)}
        assert field <= seen, (pos, sorted(field - seen))


def tiny_vqvae(**kw):
    cfg = dict(type='VQVAEVideoPredictor', in_channels=1, n_past=4, n_future=4,
               vqvae=dict(nh=16, code_dim=8, num_codes=16, num_res=1),
               top_prior=dict(channels=16, num_layers=2, attn_every=1, num_heads=2),
               bottom_prior=dict(channels=16, num_layers=2), num_samples=2, cond_channels=16)
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
    opt = torch.optim.Adam([p for p in stage2.parameters() if p.requires_grad], lr=1e-2)
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
    with pytest.raises(ValueError, match='conditions on n_past=4 frames'):
        stage2.sample(x, 8, 0)


def test_vqvae_two_stage_configs_train_end_to_end(tmp_path):
    digits = fake_digits(40, box=(6, 22, 9, 19))
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
    from crevdet.checkpoint.files import load_local_checkpoint
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
    assert prior.reach == 5
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


def test_vqvae_detection_features_can_keep_the_target_frame_alone():
    """feature_path='frame' encodes the target frame as a static clip: the frames before it
    change nothing; 'both' is the clip's newest slice and that, concatenated."""
    x = moving_square(b=2, t=4, size=32)
    models = {p: tiny_vqvae(feature_path=p) for p in ('clip', 'frame', 'both')}
    for m in models.values():
        m.load_state_dict(models['clip'].state_dict())
    assert models['both'].feat_channels == (32, 32) and models['clip'].feat_channels == (16, 16)
    feats = {p: m.extract_feat(x)['stages'] for p, m in models.items()}
    other_past = x.clone()
    other_past[:, :3] = torch.rand_like(other_past[:, :3])
    assert all(torch.equal(a, b) for a, b in zip(
        feats['frame'], models['frame'].extract_feat(other_past)['stages']))
    assert not torch.equal(feats['clip'][1], models['clip'].extract_feat(other_past)['stages'][1])
    for i in range(2):
        assert torch.equal(feats['both'][i], torch.cat([feats['clip'][i], feats['frame'][i]], 1))
    # an 8-frame window: the clip and the still (4 frames) are encoded at different lengths
    x8 = moving_square(b=2, t=8, size=32)
    feats8 = {p: m.extract_feat(x8)['stages'] for p, m in models.items()}
    for i in range(2):
        assert torch.equal(feats8['both'][i],
                           torch.cat([feats8['clip'][i], feats8['frame'][i]], 1))
    with pytest.raises(ValueError, match='feature_path must be'):
        tiny_vqvae(feature_path='target')
