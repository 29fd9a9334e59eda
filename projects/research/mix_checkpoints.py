"""One checkpoint made of two: which part of a pretrained network carries (or loses) what a
downstream detector gets from it. Every weight comes from BASE except those selected from DONOR.

    python projects/research/mix_checkpoints.py BASE.pth DONOR.pth --out MIXED.pth \\
        --take autoencoder.                    # DONOR's autoencoder, BASE's predictor
    python projects/research/mix_checkpoints.py BASE.pth DONOR.pth --out MIXED.pth \\
        --take autoencoder. --ndim 1           # only the autoencoder's norm affines

``--take PREFIX ...`` selects the state-dict keys that start with any prefix; ``--ndim N ...``
keeps of those only tensors with that many dimensions (1: norm weights and biases, 4: 2D
convolution kernels). The two checkpoints must hold the same keys and shapes (two checkpoints of
one run, or of one config). The output keeps BASE's ``meta`` (so the architecture checks of
``--checkpoint`` still apply), drops its training state and records the mix in
``meta['mixed']``. It is written to a new file only: an existing ``--out`` is refused.

The demo's diagnosis (docs/benchmarks/detection_transfer.md) trains an SSD on each mix with
``transfer_table.py --checkpoint MIXED.pth --entries pretrained``.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import torch


def mix_state_dicts(base: Dict[str, torch.Tensor], donor: Dict[str, torch.Tensor],
                    take: Sequence[str], ndim: Optional[Sequence[int]] = None
                    ) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """``(mixed, taken keys)``: ``base`` with the selected tensors replaced by ``donor``'s."""
    from crevdet.checkpoint.weights import compare_state_dicts
    only_base, only_donor, mismatched = compare_state_dicts(base, donor)
    if only_base or only_donor:
        raise ValueError(f'the checkpoints hold different weights: only in BASE '
                         f'{sorted(only_base)[:5]}, only in DONOR {sorted(only_donor)[:5]} '
                         '(mix checkpoints of one config)')
    if mismatched:
        k, donor_shape, base_shape = mismatched[0]
        raise ValueError(f'weight {k} has shape {base_shape} in BASE and {donor_shape} in DONOR '
                         '(mix checkpoints of one config)')
    taken = [k for k in base if any(k.startswith(p) for p in take)
             and (ndim is None or base[k].dim() in ndim)]
    if not taken:
        raise ValueError(f'no weight starts with {list(take)}'
                         + (f' and has {list(ndim)} dimensions' if ndim else '')
                         + f'; the keys start with {sorted({k.split(".")[0] for k in base})}')
    mixed = dict(base)
    mixed.update((k, donor[k]) for k in taken)
    return mixed, taken


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('base', help='checkpoint every other weight comes from')
    parser.add_argument('donor', help='checkpoint the selected weights come from')
    parser.add_argument('--out', required=True, help='new checkpoint file (must not exist)')
    parser.add_argument('--take', nargs='+', required=True, metavar='PREFIX',
                        help='state-dict key prefixes taken from DONOR, e.g. autoencoder.')
    parser.add_argument('--ndim', nargs='+', type=int, metavar='N',
                        help='only tensors with N dimensions (1: norm affines, 4: conv kernels)')
    args = parser.parse_args(argv)
    if osp.exists(args.out):
        raise SystemExit(f'error: --out {args.out} exists; this tool never overwrites a file')
    from crevdet.checkpoint.files import CheckpointFileError, load_local_checkpoint
    try:
        ckpts = [load_local_checkpoint(f, map_location='cpu') for f in (args.base, args.donor)]
    except (FileNotFoundError, CheckpointFileError) as e:
        raise SystemExit(f'error: {e}')
    sds = [c.get('state_dict', c) for c in ckpts]
    try:
        mixed, taken = mix_state_dicts(sds[0], sds[1], args.take, args.ndim)
    except ValueError as e:
        raise SystemExit(f'error: {args.base} + {args.donor}: {e}')
    meta = dict(ckpts[0].get('meta') or {}) if 'state_dict' in ckpts[0] else {}
    out = dict(meta=meta, state_dict=mixed)
    meta['mixed'] = dict(base=args.base, donor=args.donor, take=list(args.take),
                         ndim=args.ndim, taken=len(taken))
    torch.save(out, args.out)
    print(f'{args.out}: {len(taken)} of {len(mixed)} weights from {args.donor}, '
          f'the rest from {args.base}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
