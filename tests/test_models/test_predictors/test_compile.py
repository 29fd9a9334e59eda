"""``compile=True`` (torch.compile of the rollout's per-step work) against the eager model on a
tiny CrevNet: same loss and gradients within fp32 tolerance, the compiled step still inverted
by the (eager) conditional inverse, and the option selectable from a config."""
import copy

import pytest
import torch

from crevdet.registry import MODELS, build_crevdet


@pytest.fixture(scope='module')
def inductor():
    """Skip (naming why) where torch.compile's default backend cannot build its C++ kernels."""
    try:
        torch.compile(lambda x: torch.sigmoid(x) * x + 1)(torch.ones(4))
    except Exception as e:  # noqa: BLE001 (no compiler, no headers: each raises its own type)
        pytest.skip(f"torch.compile's C++ backend (inductor) is unavailable here: {e}")


def tiny_crevnet(**kw):
    torch.manual_seed(0)
    return build_crevdet(MODELS, dict(
        type='CrevNet', in_channels=1, n_past=3, n_future=2, teacher_forcing=False,
        loss_l1_weight=1.0, autoencoder=dict(init_squeeze=2, blocks=(1, 1), strides=(1, 2),
                                             norm='none', min_mid_channels=4),
        predictor=dict(num_layers=2, hidden_channels=8, bias=False, update='scaled_convex'),
        **kw))


def test_compile_option_is_config_selectable():
    assert tiny_crevnet().compile_options is None
    assert tiny_crevnet(compile=True).compile_options == {}
    assert tiny_crevnet(compile=dict(mode='reduce-overhead')).compile_options == dict(
        mode='reduce-overhead')
    with pytest.raises(TypeError, match='compile must be a bool or a dict'):
        tiny_crevnet(compile='yes')
    m = tiny_crevnet(compile=dict(scope='loss', dynamic=False))
    assert m.compile_scope == 'loss' and m.compile_options == dict(dynamic=False)
    assert m.step_fn('transition') == m.transition  # traced inside the whole loss instead
    with pytest.raises(ValueError, match="compile scope must be 'step' .* got 'rollout'"):
        tiny_crevnet(compile=dict(scope='rollout'))


def test_compiled_step_matches_eager_loss_gradients_and_inverse(inductor):
    eager = tiny_crevnet()
    with torch.no_grad():  # leave the identity start so that every term is exercised
        for p in eager.parameters():
            p.add_(0.05 * torch.randn_like(p))
    compiled = copy.deepcopy(eager)
    compiled.compile_options = {}
    frames = torch.rand(2, 5, 1, 16, 16)
    losses = {}
    for name, m in (('eager', eager), ('compiled', compiled)):
        out = m.loss(frames)
        losses[name] = sum(out.values())
        losses[name].backward()
    assert '_compiled_steps' in compiled.__dict__  # the compiled path really ran
    assert losses['eager'].item() > 0
    torch.testing.assert_close(losses['compiled'], losses['eager'], rtol=1e-5, atol=1e-6)
    n_grads = 0
    for (name, pe), pc in zip(eager.named_parameters(), compiled.parameters()):
        if pe.grad is None:
            assert pc.grad is None, name
            continue
        torch.testing.assert_close(pc.grad, pe.grad, rtol=1e-4, atol=1e-6, msg=name)
        n_grads += pe.grad.abs().sum() > 0
    assert n_grads > 10
    # the compiled predictor step is inverted exactly (fp32 rounding) by the eager inverse
    with torch.no_grad():
        z1 = eager.autoencoder.encode(frames[:, 0])
        step = compiled.step_fn('transition')
        _, s0, _ = step(z1, None)
        z2, s1, _ = step(z1, s0)
        back = compiled.predictor.inverse(z2, s0)
        ref, _, _ = eager.predictor(z1, s0)
    assert (z2 - z1).abs().max() > 1e-3  # the step changes the latent
    torch.testing.assert_close(z2, ref, rtol=1e-5, atol=1e-6)
    assert (back - z1).abs().max() < 1e-5
    # a deepcopy (EMA) of a compiled model carries no compiled callable, and compiles its own
    clone = copy.deepcopy(compiled)
    assert '_compiled_steps' not in clone.__dict__ and clone.compile_options == {}


def test_whole_loss_compiled_matches_eager(inductor):
    eager = tiny_crevnet()
    with torch.no_grad():
        for p in eager.parameters():
            p.add_(0.05 * torch.randn_like(p))
    whole = copy.deepcopy(eager)
    whole.compile_options, whole.compile_scope = {}, 'loss'
    frames = torch.rand(2, 5, 1, 16, 16)
    losses = {}
    for name, m in (('eager', eager), ('whole', whole)):
        losses[name] = sum(m(frames, mode='loss').values())
        losses[name].backward()
    assert set(whole.__dict__['_compiled_steps']) == {'loss'}  # one graph, no per-step ones
    torch.testing.assert_close(losses['whole'], losses['eager'], rtol=1e-5, atol=1e-6)
    for (name, pe), pc in zip(eager.named_parameters(), whole.parameters()):
        if pe.grad is not None:
            torch.testing.assert_close(pc.grad, pe.grad, rtol=1e-4, atol=1e-6, msg=name)
