"""Real FFTs over the inner two or three dimensions (RFFT2D/3D and their inverses)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from kernels.registry import Spec, register
from kernels.spectral import _lengths


def _shape(rank: int, inverse: bool):
    def rule(specs, attrs, static_values):
        dtype = np.dtype(attrs["Treal"] if inverse else attrs["Tcomplex"])
        shape, length = specs[0].shape, static_values[1]
        if shape is None or length is None:
            return [Spec(None if shape is None else shape[:-rank] + (None,) * rank, dtype)]
        return None  # the generic inference from the kernel

    return rule


def _rfft(rank: int):
    def kernel(input, fft_length, *, Treal=np.float32, Tcomplex=np.complex64):
        lengths = _lengths(fft_length, rank, input)
        axes = tuple(range(-rank, 0))
        return jnp.fft.rfftn(input, s=lengths, axes=axes).astype(Tcomplex)

    return kernel


def _irfft(rank: int):
    def kernel(input, fft_length, *, Treal=np.float32, Tcomplex=np.complex64):
        lengths = _lengths(fft_length, rank, input)
        # TF crops or zero-pads the input to lengths[:-1] + [lengths[-1] // 2 + 1] first.
        sizes = lengths[:-1] + (lengths[-1] // 2 + 1,)
        x = input[(...,) + tuple(slice(0, s) for s in sizes)]
        pads = [(0, 0)] * (x.ndim - rank) + [(0, s - d) for s, d in zip(sizes, x.shape[-rank:])]
        x = jnp.pad(x, pads)
        return jnp.fft.irfftn(x, s=lengths, axes=tuple(range(-rank, 0))).astype(Treal)

    return kernel


for _rank in (2, 3):
    register(f"RFFT{_rank}D", static=("fft_length",), shape=_shape(_rank, False))(_rfft(_rank))
    register(f"IRFFT{_rank}D", static=("fft_length",), shape=_shape(_rank, True))(_irfft(_rank))
del _rank
