"""Strip a training checkpoint to its weights (state_dict + plain meta), loadable with
``torch.load(weights_only=True)`` — for sharing, or for checkpoints written by plain mmengine.

    python tools/model_converters/publish_model.py IN.pth OUT.pth

IN.pth is loaded in full (pickle): run this only on checkpoints you produced or trust.
"""
import argparse
import os.path as osp

import torch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('in_file', help='training checkpoint (your own / trusted)')
    parser.add_argument('out_file', help='weights-only checkpoint to write (must not exist)')
    args = parser.parse_args(argv)
    if not osp.isfile(args.in_file):
        raise SystemExit(f'error: {args.in_file} does not exist')
    if osp.exists(args.out_file):
        raise SystemExit(f'error: {args.out_file} exists; refusing to overwrite it')
    ckpt = torch.load(args.in_file, map_location='cpu', weights_only=False)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise SystemExit(f'error: {args.in_file} holds no state_dict of tensors')
    meta = {k: v for k, v in (ckpt.get('meta') or {}).items()
            if isinstance(v, (int, float, str, bool)) or v is None}
    torch.save({'state_dict': state, 'meta': meta}, args.out_file)
    torch.load(args.out_file, weights_only=True)  # prove it
    print(f'wrote {args.out_file} ({len(state)} tensors)')


if __name__ == '__main__':
    main()
