"""Training memory of CrevNet with/without reversible backprop and with a 2x deeper autoencoder.

    python tools/analysis_tools/crevnet_memory.py [--batch 4] [--device cpu|cuda] [--out FILE.json]

For 64x64 (1 channel, 10 -> 10) and 128x160 (RGB, 10 -> 1) it runs one training step of each
variant in a fresh subprocess and reports, per sample:
  * params           parameter count
  * act_total_MB     bytes autograd saved for backward during the step (all activations)
  * act_ae_MB        the part saved inside the autoencoder (encode/decode)
  * peak_MB          CPU: peak RSS growth of the subprocess over the step; CUDA: max allocated
"""
import argparse
import json
import sys

from crevdet.cli.measure import MB, SavedTensorBytes, peak_step_bytes, run_measurement


SETTINGS = {
    '64x64_10to10': dict(in_channels=1, size=(64, 64), n_past=10, n_future=10, hidden=32),
    '128x160_10to1': dict(in_channels=3, size=(128, 160), n_past=10, n_future=1, hidden=64),
}
VARIANTS = {
    'default': dict(blocks=(4, 5, 3), reversible=False),
    'default+revbp': dict(blocks=(4, 5, 3), reversible=True),
    '2x_deep': dict(blocks=(8, 10, 6), reversible=False),
    '2x_deep+revbp': dict(blocks=(8, 10, 6), reversible=True),
}


def measure(setting: str, variant: str, batch: int, device: str) -> dict:
    import torch
    from crevdet.models import CrevNet
    s, v = SETTINGS[setting], VARIANTS[variant]
    torch.manual_seed(0)
    net = CrevNet(in_channels=s['in_channels'], n_past=s['n_past'], n_future=s['n_future'],
                  autoencoder=dict(blocks=v['blocks']), reversible_backprop=v['reversible'],
                  predictor=dict(num_layers=8, hidden_channels=s['hidden'])).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    frames = torch.rand((batch, s['n_past'] + s['n_future'], s['in_channels']) + s['size'],
                        device=device)
    saved = SavedTensorBytes()
    ae = net.autoencoder
    for name in ('encode', 'decode'):  # what is saved inside them counts as the autoencoder's
        fn = getattr(ae, name)

        def wrapped(x, _fn=fn):
            with saved.region('ae'):
                return _fn(x)
        setattr(ae, name, wrapped)

    def step():
        with saved.count():
            loss = net.loss(frames)['loss_mse']
        loss.backward()
        opt.step()
    peak = peak_step_bytes(step, device)
    return dict(setting=setting, variant=variant, batch=batch, device=device,
                params=sum(p.numel() for p in net.parameters()),
                act_total_MB=saved.total / batch / MB,
                act_ae_MB=saved.regions['ae'] / batch / MB, peak_MB=peak / batch / MB)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--settings', nargs='+', default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument('--out', help='also write the rows as JSON here')
    parser.add_argument('--_one', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._one:  # child process: one measurement, JSON on stdout
        print(json.dumps(measure(args._one[0], args._one[1], args.batch, args.device)))
        return
    if args.out:  # checked before the measurements, not when writing their rows
        from crevdet.cli.common import check_output_file
        check_output_file(args.out, '--out')
    rows = []
    total = len(args.settings) * len(VARIANTS)
    for setting in args.settings:
        for variant in VARIANTS:
            print(f'[{len(rows) + 1}/{total}] {setting} {variant} ...', file=sys.stderr, flush=True)
            try:
                rows.append(run_measurement(__file__, ['--_one', setting, variant, '--batch',
                                                       str(args.batch), '--device', args.device]))
            except RuntimeError as e:
                raise SystemExit(f'measurement {setting}/{variant} failed:\n{e}')
    head = ('| setting | variant | params | act. total MB/sample | act. autoencoder MB/sample '
            '| peak MB/sample |')
    print(head + '\n|' + '---|' * 6)
    for r in rows:
        print(f"| {r['setting']} | {r['variant']} | {r['params'] / 1e6:.2f}M | "
              f"{r['act_total_MB']:.1f} | {r['act_ae_MB']:.1f} | {r['peak_MB']:.1f} |")
    for setting in args.settings:
        by = {r['variant']: r for r in rows if r['setting'] == setting}
        ratio = by['2x_deep+revbp']['act_ae_MB'] / by['default+revbp']['act_ae_MB']
        print(f'{setting}: reversible autoencoder activations, 2x deep / default = {ratio:.2f}x')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=2)


if __name__ == '__main__':
    main()
