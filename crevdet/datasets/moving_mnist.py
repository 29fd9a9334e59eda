"""Moving MNIST (Srivastava et al. 2015), generated on the fly from MNIST idx files.

Digits (28x28) bounce inside a ``image_size`` square at constant speed; frames combine digits by
pixel-wise max. Training draws random sequences every epoch; test mode is a fixed set of
``num_sequences`` generated lazily from ``seed + index`` (same sequence whatever the order or
worker). Train and test use disjoint digit index ranges. ``npy_file`` reads the standard
``mnist_test_seq.npy`` ``(20, 10000, 64, 64)`` instead. ``render_on_device`` leaves the drawing
to the data preprocessor, batched on the model's device (crevdet/datasets/moving_mnist_batch.py).
"""
import gzip
import os.path as osp
import struct
import zlib
from typing import Optional, Tuple

import numpy as np
import torch
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

from crevdet.registry import DATASETS


def read_idx_images(path: str) -> np.ndarray:
    """MNIST idx3 (optionally .gz) -> uint8 ``(N, 28, 28)``; errors name the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'MNIST file {path!r} not found (expected an idx3 file such as '
                                't10k-images-idx3-ubyte.gz)')
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:  # EOFError: a truncated .gz
        why = str(e) or 'ends early'
        raise OSError(f'cannot read MNIST file {path!r} ({type(e).__name__}: {why});'
                      ' it is truncated or corrupt: download it again') from e
    if len(data) < 16:
        raise ValueError(f'{path!r} is not an MNIST idx3 image file (too short)')
    magic, n, rows, cols = struct.unpack('>IIII', data[:16])
    if magic != 2051 or len(data) != 16 + n * rows * cols:
        raise ValueError(f'{path!r} is not an MNIST idx3 image file (magic {magic}, expected 2051, '
                         f'or wrong size)')
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)


def bouncing_sequence(digits: np.ndarray, rng: np.random.Generator, seq_len: int,
                      image_size: int, step_length: float = 0.1,
                      stochastic: bool = False) -> np.ndarray:
    """One sequence ``(seq_len, S, S)`` uint8 of the given digits ``(K, 28, 28)``.

    ``stochastic`` (SVG's stochastic Moving MNIST): a digit hitting a wall leaves it in a new
    uniformly random direction (pointing away from that wall) instead of reflecting, so the
    future after a bounce cannot be predicted from the past."""
    d = digits.shape[-1]
    lim = image_size - d
    out = np.zeros((seq_len, image_size, image_size), np.uint8)
    for digit in digits:
        pos = rng.random(2)  # (y, x) in [0, 1] of the free range
        theta = rng.random() * 2 * np.pi
        vel = np.array([np.sin(theta), np.cos(theta)])
        for t in range(seq_len):
            y, x = (pos * lim).astype(int)
            np.maximum(out[t, y:y + d, x:x + d], digit, out=out[t, y:y + d, x:x + d])
            pos = pos + vel * step_length
            for a in range(2):  # reflect off the walls
                hit = -1 if pos[a] < 0 else (1 if pos[a] > 1 else 0)
                if not hit:
                    continue
                pos[a] = -pos[a] if hit < 0 else 2 - pos[a]
                if stochastic:  # new random direction, away from the wall just hit
                    theta = rng.random() * 2 * np.pi
                    vel = np.array([np.sin(theta), np.cos(theta)])
                    vel[a] = -hit * abs(vel[a])
                else:
                    vel[a] = -vel[a]
    return out


@DATASETS.register_module()
class MovingMNISTDataset(Dataset):
    """Args:
        mnist_file: MNIST idx3 images (``.gz`` ok).
        num_digits: digits per sequence (2 or 3 in the literature).
        seq_len: frames per sequence (20 = 10 observed + 10 predicted).
        digit_range: ``(start, stop)`` indices of the digits this split may use; default: first
            half of the file for training, second half for test (disjoint).
        num_sequences: length of the dataset (test: the fixed set, default 5,000).
        test_mode: fixed, reproducible sequences; otherwise random ones at each access.
        npy_file: read sequences from a ``(T, N, H, W)`` npy file (``mnist_test_seq.npy``).
        stochastic: digits leave a wall in a random new direction (stochastic Moving MNIST, the
            SVG / SRVP benchmark); see :func:`bouncing_sequence`.
        render_on_device: return only the digits ``(K, 28, 28)`` and their motion (in the
            metainfo ``moving_mnist``); ``VideoDataPreprocessor`` draws the frames of the whole
            batch on the model's device. Deterministic clips are bit-identical to the CPU path's
            (a fixed test set too); stochastic ones draw their post-bounce directions in advance,
            so they match the CPU path in distribution only, and a stochastic test set (which
            must stay fixed) is refused.
    """

    def __init__(self, mnist_file: Optional[str] = None, num_digits: int = 2, seq_len: int = 20,
                 image_size: int = 64, digit_range: Optional[Tuple[int, int]] = None,
                 num_sequences: Optional[int] = None, test_mode: bool = False, seed: int = 0,
                 npy_file: Optional[str] = None, stochastic: bool = False,
                 render_on_device: bool = False) -> None:
        self.seq_len, self.image_size, self.num_digits = seq_len, image_size, num_digits
        self.stochastic, self.render_on_device = stochastic, render_on_device
        if render_on_device and npy_file is not None:
            raise ValueError('MovingMNISTDataset: render_on_device draws clips from MNIST digits; '
                             f'it cannot be used with npy_file={npy_file!r} (stored clips)')
        if render_on_device and stochastic and test_mode:
            raise ValueError('MovingMNISTDataset: a stochastic test set must be the fixed '
                             'CPU-drawn one; set render_on_device=False for test_mode=True, '
                             'stochastic=True')
        self.test_mode, self.seed = test_mode, seed
        self.npy = None
        if npy_file is not None:
            if not osp.isfile(npy_file):
                raise FileNotFoundError(f'Moving MNIST npy file {npy_file!r} not found')
            arr = np.load(npy_file, mmap_mode='r')
            if arr.ndim != 4 or arr.shape[0] < seq_len:
                raise ValueError(f'{npy_file!r}: expected (T>={seq_len}, N, H, W), got {arr.shape}')
            self.npy = arr
            self.num_sequences = num_sequences or arr.shape[1]
            return
        if mnist_file is None:
            raise ValueError('MovingMNISTDataset needs mnist_file (idx3) or npy_file')
        digits = read_idx_images(mnist_file)
        if digit_range is None:
            half = len(digits) // 2
            digit_range = (half, len(digits)) if test_mode else (0, half)
        self.digits = digits[digit_range[0]:digit_range[1]]
        if len(self.digits) < num_digits:
            raise ValueError(f'digit_range {digit_range} of {mnist_file!r} holds '
                             f'{len(self.digits)} digits, fewer than num_digits={num_digits}')
        self.num_sequences = num_sequences or (5000 if test_mode else 10000)

    def __len__(self) -> int:
        return self.num_sequences

    def sequence(self, idx: int) -> np.ndarray:
        """uint8 ``(seq_len, S, S)``."""
        if self.npy is not None:
            return np.array(self.npy[:self.seq_len, idx])  # a writable copy of the mmap
        rng = np.random.default_rng(self.seed + idx if self.test_mode else None)
        pick = rng.choice(len(self.digits), self.num_digits, replace=False)
        return bouncing_sequence(self.digits[pick], rng, self.seq_len, self.image_size,
                                 stochastic=self.stochastic)

    def motion(self, idx: int) -> Tuple[np.ndarray, dict]:
        """The random part of clip ``idx``: digits ``(K, 28, 28)`` and their ``pos``, ``vel``
        ``(K, 2)`` (and ``bounce_vel`` ``(K, T, 2)`` when stochastic), drawn in
        :func:`bouncing_sequence`'s order so that a seeded clip is the same on both paths."""
        rng = np.random.default_rng(self.seed + idx if self.test_mode else None)
        pick = rng.choice(len(self.digits), self.num_digits, replace=False)
        pos, vel = np.empty((self.num_digits, 2)), np.empty((self.num_digits, 2))
        for k in range(self.num_digits):
            pos[k] = rng.random(2)
            theta = rng.random() * 2 * np.pi
            vel[k] = np.sin(theta), np.cos(theta)
        motion = dict(pos=torch.from_numpy(pos), vel=torch.from_numpy(vel),
                      seq_len=self.seq_len, image_size=self.image_size)
        if self.stochastic:
            theta = rng.random((self.num_digits, self.seq_len)) * 2 * np.pi
            motion['bounce_vel'] = torch.from_numpy(np.stack([np.sin(theta), np.cos(theta)], -1))
        return self.digits[pick], motion

    def __getitem__(self, idx: int) -> dict:
        if self.render_on_device:
            digits, motion = self.motion(idx)
            return dict(inputs=torch.from_numpy(np.ascontiguousarray(digits)),
                        data_samples=BaseDataElement(metainfo=dict(clip_index=idx,
                                                                   moving_mnist=motion)))
        seq = torch.from_numpy(self.sequence(idx)).unsqueeze(1)  # (T, 1, S, S)
        return dict(inputs=seq, data_samples=BaseDataElement(metainfo=dict(clip_index=idx)))
