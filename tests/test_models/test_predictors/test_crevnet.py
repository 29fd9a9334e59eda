"""CrevNet model: reversible backprop gradients, modes and shapes, learning."""
import pytest
import torch

from crevdet.models import CrevNet
from crevdet.models.layers import TwoWayAutoencoder


def tiny(**kw):
    cfg = dict(in_channels=1, n_past=3, n_future=2,
               autoencoder=dict(blocks=(2, 2), strides=(1, 2)),
               predictor=dict(num_layers=2, hidden_channels=8))
    cfg.update(kw)
    return CrevNet(**cfg)


def _grads(model, loss_fn):
    model.zero_grad()
    loss_fn().backward()
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize('conv_dim', [2, 3])
def test_reversible_backprop_matches_autograd(conv_dim):
    torch.manual_seed(0)
    ae = TwoWayAutoencoder(in_channels=2, conv_dim=conv_dim, blocks=(2, 2), strides=(1, 2)).double()
    shape = (2, 2, 16, 16) if conv_dim == 2 else (2, 2, 3, 16, 16)
    x = torch.rand(shape, dtype=torch.float64, requires_grad=True)
    w = torch.randn(ae.encode(x).shape, dtype=torch.float64)

    def loss():  # a loss through both encode and decode
        return (ae.decode(ae.encode(x) * w) ** 2).sum() + (ae.encode(x) * w).sum()

    ref = _grads(ae, loss)
    ref_x = x.grad.clone()
    x.grad = None
    ae.reversible_backprop = True
    rev = _grads(ae, loss)
    assert ref.keys() == rev.keys() and len(ref) > 0
    for k in ref:
        err = (ref[k] - rev[k]).abs().max() / ref[k].abs().max().clamp_min(1e-30)
        assert err < 1e-5, k
    assert ((x.grad - ref_x).abs().max() / ref_x.abs().max()) < 1e-5


def test_reversible_backprop_full_model_gradients():
    torch.manual_seed(0)
    a = tiny().double()
    b = tiny(reversible_backprop=True).double()
    b.load_state_dict(a.state_dict())
    frames = torch.rand(2, 5, 1, 16, 16, dtype=torch.float64)
    ga = _grads(a, lambda: a.loss(frames)['loss_mse'])
    gb = _grads(b, lambda: b.loss(frames)['loss_mse'])
    for k in ga:
        assert ((ga[k] - gb[k]).abs().max() / ga[k].abs().max().clamp_min(1e-30)) < 1e-5, k


def test_reversible_backprop_keeps_fewer_activations():
    """Saved-for-backward bytes of the autoencoder: independent of depth when reversible."""
    def saved_bytes(depth, rev):
        torch.manual_seed(0)
        ae = TwoWayAutoencoder(in_channels=1, blocks=(depth, depth), strides=(1, 2),
                               reversible_backprop=rev)
        x = torch.rand(2, 1, 32, 32)
        total = [0]

        def pack(t):
            total[0] += t.numel() * t.element_size()
            return t
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            ae.encode(x).sum()
        return total[0]

    plain_1, plain_2 = saved_bytes(2, False), saved_bytes(4, False)
    rev_1, rev_2 = saved_bytes(2, True), saved_bytes(4, True)
    assert plain_2 > 1.8 * plain_1
    assert rev_2 <= 1.01 * rev_1 and rev_1 < plain_1 / 10


@pytest.mark.parametrize('conv_dim,clip_len', [(2, 1), (2, 2), (3, 3)])
def test_modes_and_shapes(conv_dim, clip_len):
    torch.manual_seed(0)
    net = tiny(conv_dim=conv_dim, clip_len=clip_len, n_past=4, n_future=3)
    frames = torch.rand(2, 7, 1, 16, 24)
    losses = net(frames, mode='loss')
    assert set(losses) == {'loss_mse'} and losses['loss_mse'].ndim == 0
    pred = net(frames, mode='tensor')
    assert pred.shape == (2, 3, 1, 16, 24)
    samples = net(frames, mode='predict')
    assert len(samples) == 2
    assert samples[0].pred_frames.shape == (3, 1, 16, 24)
    assert torch.equal(samples[0].gt_frames, frames[0, 4:7])
    assert torch.equal(samples[0].last_observed, frames[0, 3])
    assert float(samples[0].pred_frames.min()) >= 0 and float(samples[0].pred_frames.max()) <= 1
    feats = net.extract_feat(frames[:, :4])
    ae = net.autoencoder
    assert [f.shape[1] for f in feats['stages']] == list(ae.stage_channels)
    assert len(feats['gates']) == 2


def test_prediction_ignores_future_frames():
    """predict() must not peek: the future part of the clip cannot change the prediction."""
    torch.manual_seed(0)
    net = tiny().eval()
    frames = torch.rand(1, 5, 1, 16, 16)
    other = frames.clone()
    other[:, 3:] = torch.rand(1, 2, 1, 16, 16)
    assert torch.equal(net(frames, mode='tensor'), net(other, mode='tensor'))


def test_errors_name_the_problem():
    net = tiny()
    with pytest.raises(ValueError, match='at least 5 frames'):
        net(torch.rand(1, 4, 1, 16, 16), mode='loss')
    with pytest.raises(ValueError, match=r'C=1'):
        net(torch.rand(1, 5, 3, 16, 16), mode='loss')
    with pytest.raises(ValueError, match="mode must be"):
        net(torch.rand(1, 5, 1, 16, 16), mode='bogus')
    with pytest.raises(ValueError, match='n_past=1 must be >= clip_len=3'):
        tiny(conv_dim=3, n_past=1)


def test_tiny_crevnet_overfits_one_batch():
    """The whole graph learns: a 10->10 Moving-MNIST-like batch (two bouncing squares)."""
    torch.manual_seed(0)
    frames = torch.zeros(2, 20, 1, 16, 16)
    for b in range(2):
        for t in range(20):
            y, x = abs((t + 3 * b) % 20 - 10) // 2 + 1, (t * (b + 1)) % 12
            frames[b, t, 0, y:y + 4, x:x + 4] = 1.0
    net = CrevNet(in_channels=1, n_past=10, n_future=10,
                  autoencoder=dict(blocks=(2, 2), strides=(1, 2)),
                  predictor=dict(num_layers=2, hidden_channels=16))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    first = None
    for it in range(300):
        loss = net.loss(frames)['loss_mse']
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
        if loss.item() < 0.1 * first:
            break
    assert loss.item() < 0.1 * first, (first, loss.item(), it)
