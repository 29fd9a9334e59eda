"""Strip a training checkpoint to its weights (state_dict + plain meta), for sharing.

    python tools/model_converters/publish_model.py IN.pth OUT.pth

IN.pth is read like every checkpoint crevdet reads: with torch's weights-only unpickler and the
allowlist of mmengine's training state (crevdet/checkpoint/files.py), so a training checkpoint of
crevdet or plain mmengine converts, and a file holding code is refused, never run. OUT.pth holds
tensors and plain values only, and is written atomically (never over an existing file).
"""
import argparse
import os
import os.path as osp

import torch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('in_file', help='training checkpoint')
    parser.add_argument('out_file', help='weights-only checkpoint to write (must not exist)')
    args = parser.parse_args(argv)
    from crevdet.checkpoint.files import (CheckpointFileError, finish_save,
                                           load_local_checkpoint, partial_save_name)
    from crevdet.checkpoint.weights import NonFiniteWeightsError, check_finite_weights
    if osp.isdir(args.in_file):
        raise SystemExit(f'error: {args.in_file} is a folder; pass the training checkpoint '
                         'file (.pth) to publish')
    if not osp.isfile(args.in_file):
        raise SystemExit(f'error: {args.in_file} does not exist')
    if osp.lexists(args.out_file):
        raise SystemExit(f'error: {args.out_file} exists; refusing to overwrite it')
    out_dir = osp.dirname(osp.abspath(args.out_file))
    if not osp.isdir(out_dir):
        raise SystemExit(f'error: the folder of {args.out_file} ({out_dir}) does not exist or '
                         'is not a folder')
    try:
        ckpt = load_local_checkpoint(args.in_file, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        if not isinstance(state, dict) or not state or \
                not all(torch.is_tensor(v) for v in state.values()):
            raise SystemExit(f'error: {args.in_file} holds no state_dict of tensors')
        check_finite_weights(state, args.in_file)
    except (CheckpointFileError, NonFiniteWeightsError) as e:
        raise SystemExit(f'error: {e}')
    meta = {k: v for k, v in (ckpt.get('meta') or {}).items()
            if isinstance(v, (int, float, str, bool)) or v is None}
    partial = osp.join(out_dir, partial_save_name(osp.basename(args.out_file)))
    try:
        torch.save({'state_dict': state, 'meta': meta}, partial)
        torch.load(partial, weights_only=True)  # prove it: plain tensors and values only
        if osp.lexists(args.out_file):  # appeared meanwhile
            raise SystemExit(f'error: {args.out_file} exists; refusing to overwrite it')
        finish_save(partial, args.out_file)
    finally:
        if osp.isfile(partial):
            os.remove(partial)
    print(f'wrote {args.out_file} ({len(state)} tensors)')


if __name__ == '__main__':
    main()
