"""projects/research/mix_checkpoints.py: the selected weights come from the donor, the rest from the
base; mismatched checkpoints and an existing output are refused with the reason."""
import pytest
import torch

from conftest import load_tool

mix = load_tool('projects/research/mix_checkpoints.py')


def _ckpt(value):
    sd = {'autoencoder.f.0.weight': torch.full((4, ), value),          # a norm affine
          'autoencoder.f.1.weight': torch.full((4, 2, 3, 3), value),   # a conv kernel
          'predictor.layers.0.proj.weight': torch.full((2, 4, 1, 1), value)}
    return dict(meta=dict(iter=int(value)), state_dict=sd, optimizer=dict(state={}))


def test_takes_the_selected_weights_from_the_donor(tmp_path):
    base, donor = tmp_path / 'base.pth', tmp_path / 'donor.pth'
    torch.save(_ckpt(1.), base)
    torch.save(_ckpt(2.), donor)
    out = tmp_path / 'mixed.pth'
    assert mix.main([str(base), str(donor), '--take', 'autoencoder.', '--ndim', '4',
                     '--out', str(out)]) == 0
    got = torch.load(out, weights_only=True)
    sd = got['state_dict']
    assert (sd['autoencoder.f.1.weight'] == 2).all()  # the donor's conv kernel
    assert (sd['autoencoder.f.0.weight'] == 1).all()  # the base's norm affine
    assert (sd['predictor.layers.0.proj.weight'] == 1).all()
    assert got['meta']['iter'] == 1 and got['meta']['mixed']['taken'] == 1
    assert 'optimizer' not in got
    # the whole autoencoder
    out2 = tmp_path / 'mixed2.pth'
    mix.main([str(base), str(donor), '--take', 'autoencoder.', '--out', str(out2)])
    sd2 = torch.load(out2, weights_only=True)['state_dict']
    assert [k for k in sd2 if (sd2[k] == 2).all()] == ['autoencoder.f.0.weight',
                                                       'autoencoder.f.1.weight']


def test_refuses_mismatches_and_never_overwrites(tmp_path):
    base, donor = tmp_path / 'base.pth', tmp_path / 'donor.pth'
    torch.save(_ckpt(1.), base)
    other = _ckpt(2.)
    other['state_dict']['autoencoder.f.1.weight'] = torch.zeros(8, 2, 3, 3)
    torch.save(other, donor)
    with pytest.raises(SystemExit, match=r'autoencoder.f.1.weight has shape \(4, 2, 3, 3\) in '
                       r'BASE and \(8, 2, 3, 3\) in DONOR'):
        mix.main([str(base), str(donor), '--take', 'autoencoder.', '--out',
                  str(tmp_path / 'x.pth')])
    with pytest.raises(ValueError, match="no weight starts with \\['backbone.'\\].*"
                       "the keys start with \\['autoencoder', 'predictor'\\]"):
        mix.mix_state_dicts(_ckpt(1.)['state_dict'], _ckpt(2.)['state_dict'], ['backbone.'])
    extra = _ckpt(2.)['state_dict']
    extra['predictor.extra'] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"only in DONOR \['predictor.extra'\]"):
        mix.mix_state_dicts(_ckpt(1.)['state_dict'], extra, ['autoencoder.'])
    with pytest.raises(SystemExit, match=r'checkpoint .*missing.pth can not be found'):
        mix.main([str(base), str(tmp_path / 'missing.pth'), '--take', 'autoencoder.', '--out',
                  str(tmp_path / 'y.pth')])
    (tmp_path / 'text.pth').write_text('not a checkpoint')
    with pytest.raises(SystemExit, match=r'checkpoint .*text.pth is not a PyTorch checkpoint'):
        mix.main([str(tmp_path / 'text.pth'), str(base), '--take', 'autoencoder.', '--out',
                  str(tmp_path / 'y.pth')])
    assert not (tmp_path / 'y.pth').exists()
    out = tmp_path / 'kept.pth'
    out.write_bytes(b'a result of the user')
    with pytest.raises(SystemExit, match='exists; this tool never overwrites'):
        mix.main([str(base), str(base), '--take', 'autoencoder.', '--out', str(out)])
    assert out.read_bytes() == b'a result of the user'
