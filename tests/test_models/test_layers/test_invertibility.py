"""Exact inverses of the two-way autoencoder and conditional reversibility of the predictor."""
from unittest import mock

import pytest
import torch

from crevdet.models import CrevNet
from crevdet.models.layers import (AdditiveCoupling, RPMPredictor, TwoWayAutoencoder, squeeze,
                                   unsqueeze)


@pytest.mark.parametrize('shape', [(2, 3, 8, 12), (2, 4, 3, 8, 12)])
def test_squeeze_is_a_permutation(shape):
    x = torch.randn(shape)
    y = squeeze(x, 2)
    assert y.shape[1] == shape[1] * 4 and y.shape[-2:] == (shape[-2] // 2, shape[-1] // 2)
    if len(shape) == 5:
        assert y.shape[2] == shape[2]  # time untouched
        # each time slice squeezes on its own: no mixing across time
        assert torch.equal(y[:, :, 1], squeeze(x[:, :, 1], 2))
    assert torch.equal(unsqueeze(y, 2), x)
    assert torch.equal(y.flatten().sort().values, x.flatten().sort().values)


def test_squeeze_rejects_bad_sizes():
    with pytest.raises(ValueError, match='divisible by 2'):
        squeeze(torch.zeros(1, 1, 7, 8), 2)


def test_coupling_inverse_and_is_not_identity():
    blk = AdditiveCoupling(8).double()
    x = torch.randn(2, 8, 6, 6, dtype=torch.float64)
    y = blk(x)
    assert (y - x).abs().max() > 1e-3
    assert (blk.inverse(y) - x).abs().max() < 1e-12


def perturb_(module, std=0.05, seed=0):
    """Give every zero-initialised weight random values (a 'trained' model is no identity)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            if not p.abs().sum():
                p.add_(torch.randn(p.shape, generator=g, dtype=p.dtype) * std)
    return module


@pytest.mark.parametrize('conv_dim', [2, 3])
@pytest.mark.parametrize('chw', [(1, 64, 64), (3, 128, 160), (3, 128, 416)])
def test_autoencoder_exact_inverse(conv_dim, chw):
    torch.manual_seed(0)
    c, h, w = chw
    # default depth (12 blocks), every coupling function non-zero: the authors' random
    # initialisation; the default zero-initialised one is perturbed as training would
    ae = TwoWayAutoencoder(in_channels=c, conv_dim=conv_dim, zero_init_residual=False)
    assert len([m for m in ae.steps if isinstance(m, AdditiveCoupling)]) == 12
    shape = (1, c, h, w) if conv_dim == 2 else (1, c, 3, h, w)
    x0 = torch.rand(shape)
    with torch.no_grad():  # not a mere permutation of pixels
        assert (ae.encode(x0) - squeeze(squeeze(squeeze(x0, 2), 2), 2)).abs().max() > 1e-2
    for dtype, tol in ((torch.float32, 1e-4), (torch.float64, 1e-10)):
        ae = ae.to(dtype)
        x = torch.rand(shape, dtype=dtype)
        with torch.no_grad():
            z = ae.encode(x)
            assert z.shape[1] == c * 64 and z.shape[-2:] == (h // 8, w // 8)
            assert (ae.decode(z) - x).abs().max().item() < tol
            z2 = torch.randn_like(z)
            assert (ae.encode(ae.decode(z2)) - z2).abs().max().item() < tol


def test_autoencoder_input_checks():
    ae = TwoWayAutoencoder(in_channels=3)
    with pytest.raises(ValueError, match='divisible by the total squeeze factor 8'):
        ae.encode(torch.zeros(1, 3, 60, 64))
    with pytest.raises(ValueError, match=r'C=3'):
        ae.encode(torch.zeros(1, 1, 64, 64))
    with pytest.raises(ValueError, match='BatchNorm'):
        TwoWayAutoencoder(norm='bn', reversible_backprop=True)


def test_zero_initialised_autoencoder_starts_as_the_squeezes():
    torch.manual_seed(0)
    ae = TwoWayAutoencoder(in_channels=3, blocks=(2, 2), strides=(1, 2))
    x = torch.rand(2, 3, 16, 24)
    with torch.no_grad():
        assert torch.equal(ae.encode(x), squeeze(squeeze(x, 2), 2))
        assert torch.equal(ae.decode(ae.encode(x)), x)


@pytest.mark.parametrize('update,layers,diff', [
    ('residual', 4, False), ('convex', 4, False), ('residual', 3, False),
    ('scaled_convex', 4, False), ('scaled_convex', 3, False), ('residual', 3, True),
    ('scaled_convex', 4, True), ('residual', 4, 'only')])
@pytest.mark.parametrize('cell', ['convlstm', 'stlstm'])
def test_predictor_conditional_reversibility(cell, update, layers, diff):
    torch.manual_seed(0)
    p = RPMPredictor(16, num_layers=layers, hidden_channels=8, cell=cell, update=update,
                     zero_init_proj=False, diff_input=diff)
    p = perturb_(p, std=0.1).double()  # scaled_convex: a non-zero mixing strength
    z0 = torch.randn(2, 16, 6, 6, dtype=torch.float64)
    z1 = torch.randn(2, 16, 6, 6, dtype=torch.float64)
    _, s1, _ = p(z0)
    z2, s2, gates = p(z1, s1)
    assert (z2 - z1).abs().max() > 1e-2  # the step changes the latent
    assert len(gates) == layers and all(g.shape == (2, 8, 6, 6) for g in gates)
    lo = -1 if update == 'scaled_convex' else 0  # a * g with a = tanh(k alpha) in (-1, 1)
    assert all(((g >= lo) & (g <= 1)).all() for g in gates)
    assert (p.inverse(z2, s1, s2['m_in']) - z1).abs().max() < 1e-10
    if diff:  # the step depends on the previous x1 (a second step from z1 alone differs)
        assert (p(z1, dict(s1, x1=None))[0] - z2).abs().max() > 1e-3
    if cell == 'stlstm':
        with pytest.raises(ValueError, match='m_in'):
            p.inverse(z2, s1)


@pytest.mark.parametrize('conv_dim,bias,cell', [(2, False, 'convlstm'), (2, True, 'stlstm'),
                                               (3, True, 'convlstm')])
def test_fused_heads_equal_the_two_convolutions(conv_dim, bias, cell):
    """fused_heads=True (one grouped 1x1 conv for W_p and W2) gives the outputs and gradients
    of the two separate convolutions, with the same parameters and state-dict keys."""
    torch.manual_seed(0)
    kw = dict(num_layers=3, hidden_channels=8, cell=cell, conv_dim=conv_dim, bias=bias,
              update='scaled_convex', diff_input='only')
    sep = perturb_(RPMPredictor(12, fused_heads=False, **kw), std=0.1).double()
    fused = RPMPredictor(12, fused_heads=True, **kw).double()
    assert list(fused.state_dict()) == list(sep.state_dict())
    fused.load_state_dict(sep.state_dict())
    shape = (2, 12, 3, 5, 5) if conv_dim == 3 else (2, 12, 5, 5)
    zs = [torch.randn(shape, dtype=torch.float64) for _ in range(3)]
    outs = []
    for p in (sep, fused):
        state, total = None, 0
        for z in zs:
            z_next, state, gates = p(z, state)
            total = total + (z_next ** 2).sum() + sum(g.sum() for g in gates)
        total.backward()
        outs.append((z_next, gates, {n: w.grad for n, w in p.named_parameters()}))
    (z_s, g_s, grad_s), (z_f, g_f, grad_f) = outs
    assert (z_s - z_f).abs().max() < 1e-12
    assert all((a - b).abs().max() < 1e-12 for a, b in zip(g_s, g_f))
    assert grad_s.keys() == grad_f.keys()
    assert grad_s['layers.0.att2.weight'].abs().max() > 1e-3  # the gradients are not trivial
    assert all((grad_s[n] - grad_f[n]).abs().max() < 1e-10 for n in grad_s)
    # the default (None) fuses only under torch.compile: eager runs the two convolutions
    auto = RPMPredictor(12, **kw).double()
    auto.load_state_dict(sep.state_dict())
    with torch.no_grad():
        assert torch.equal(auto(zs[0])[0], sep(zs[0])[0])
        with mock.patch('torch.compiler.is_compiling', return_value=True):
            assert torch.equal(auto(zs[0])[0], fused(zs[0])[0])
    # and the fused module stays conditionally reversible
    _, s1, _ = fused(zs[0])
    z2, s2, _ = fused(zs[1], s1)
    assert (fused.inverse(z2, s1, s2['m_in']) - zs[1]).abs().max() < 1e-10


@pytest.mark.parametrize('conv_dim,fused', [(2, False), (2, True), (3, False)])
def test_first_step_shortcut_is_bit_identical(conv_dim, fused):
    """Motion-only ConvLSTM RPMs without biases skip the cell's convolution at the first step
    from an empty state (h = c = 0 exactly): the same bits as running it from an explicit zero
    state over several steps, forward and backward."""
    torch.manual_seed(0)
    kw = dict(num_layers=3, hidden_channels=8, conv_dim=conv_dim, bias=False,
              update='scaled_convex', diff_input='only', fused_heads=fused)
    p = perturb_(RPMPredictor(12, **kw), std=0.1)
    assert all(m.zero_first_step for m in p.layers)
    shape = (2, 12, 3, 5, 5) if conv_dim == 3 else (2, 12, 5, 5)
    zs = [torch.randn(shape) for _ in range(3)]
    results = []
    for explicit in (False, True):
        p.zero_grad()
        state = p.init_state(zs[0]) if explicit else None
        total = 0
        for z in zs:
            z_next, state, gates = p(z, state)
            total = total + (z_next ** 2).sum() + sum((g ** 2).sum() for g in gates)
        total.backward()
        results.append((z_next, gates, state['h'], {n: w.grad.clone()
                                                     for n, w in p.named_parameters()}))
    (z_a, g_a, h_a, grad_a), (z_b, g_b, h_b, grad_b) = results
    assert torch.equal(z_a, z_b)
    assert all(torch.equal(a, b) for a, b in zip(g_a + h_a, g_b + h_b))
    assert grad_a['layers.0.att1.bias'].abs().max() > 0  # the first step's gate is learned
    assert all(torch.equal(grad_a[n], grad_b[n]) for n in grad_a)
    # a cell with biases (or with memory, or seeing x1 itself) never takes the shortcut
    assert not any(m.zero_first_step for m in RPMPredictor(12, diff_input='only').layers)
    assert not any(m.zero_first_step for m in RPMPredictor(
        12, diff_input='only', bias=False, cell='stlstm').layers)
    assert not any(m.zero_first_step for m in RPMPredictor(12, diff_input=True,
                                                            bias=False).layers)


@pytest.mark.parametrize('conv_dim,clip_len', [(2, 1), (3, 3)])
def test_crevnet_reconstructs_previous_frame(conv_dim, clip_len):
    """Paper eq. 5: from the prediction of x_t and the state before the step, recover x_{t-1}."""
    torch.manual_seed(0)
    net = CrevNet(in_channels=1, n_past=4, n_future=1, conv_dim=conv_dim, clip_len=clip_len,
                  autoencoder=dict(blocks=(1, 1), strides=(1, 2)),
                  predictor=dict(num_layers=2, hidden_channels=8))
    net = perturb_(net).double()
    frames = torch.rand(2, 4, 1, 16, 16, dtype=torch.float64)
    clips = net._clips(frames, [clip_len - 1, clip_len])
    z_a, z_b = net.autoencoder.encode(clips).split(2)
    _, state, _ = net.predictor(z_a)
    z_pred, new_state, _ = net.predictor(z_b, state)
    x_prev = net.reconstruct_previous(z_pred, state, new_state['m_in'])
    assert x_prev.shape == (2, 1, 16, 16)
    assert (x_prev - frames[:, clip_len]).abs().max().item() < 1e-6
