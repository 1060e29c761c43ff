"""Spectral kernels: fast Fourier transforms and complex-number parts."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels.registry import Spec, register


def _fft(rank: int, inverse: bool):
    def kernel(input):
        if input.ndim < rank:
            raise ValueError(f"Shape must be at least rank {rank} but is rank {input.ndim}")
        axes = tuple(range(-rank, 0))
        return (jnp.fft.ifftn if inverse else jnp.fft.fftn)(input, axes=axes).astype(input.dtype)

    return kernel


for _rank, _suffix in ((1, ""), (2, "2D"), (3, "3D")):
    register(f"FFT{_suffix}")(_fft(_rank, inverse=False))
    register(f"IFFT{_suffix}")(_fft(_rank, inverse=True))


def _lengths(fft_length, rank: int, input) -> tuple[int, ...]:
    lengths = tuple(int(n) for n in np.asarray(fft_length).reshape(-1))
    if len(lengths) != rank:
        raise ValueError(f"fft_length must have {rank} elements, got {list(lengths)}")
    if input.ndim < rank:
        raise ValueError(f"Shape must be at least rank {rank} but is rank {input.ndim}")
    return lengths


def _real_fft_shape(inverse: bool):
    """The output's dtype comes from the attrs even when fft_length is not known yet."""

    def rule(specs, attrs, static_values):
        dtype = np.dtype(attrs["Treal"] if inverse else attrs["Tcomplex"])
        shape, length = specs[0].shape, static_values[1]
        if shape is None or length is None:
            return [Spec(None if shape is None else shape[:-1] + (None,), dtype)]
        return None  # the generic inference from the kernel

    return rule


@register("RFFT", static=("fft_length",), shape=_real_fft_shape(inverse=False))
def rfft(input, fft_length, *, Tcomplex=np.complex64):
    (n,) = _lengths(fft_length, 1, input)
    return jnp.fft.rfft(input, n=n).astype(Tcomplex)


@register("IRFFT", static=("fft_length",), shape=_real_fft_shape(inverse=True))
def irfft(input, fft_length, *, Treal=np.float32):
    (n,) = _lengths(fft_length, 1, input)
    # TF crops or zero-pads the input's inner dimension to n // 2 + 1 before transforming.
    inner = n // 2 + 1
    x = input[..., :inner]
    if x.shape[-1] < inner:
        x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, inner - x.shape[-1])])
    return jnp.fft.irfft(x, n=n).astype(Treal)


@register("Complex")
def complex_(real, imag, *, Tout=np.complex64):
    real, imag = jnp.broadcast_arrays(real, imag)  # TF's Complex broadcasts
    return lax.complex(real, imag).astype(Tout)


@register("Real")
def real(input, *, Tout=np.float32):
    return jnp.real(input).astype(Tout)


@register("Imag")
def imag(input, *, Tout=np.float32):
    return jnp.imag(input).astype(Tout)


@register("Conj")
def conj(input):
    return jnp.conj(input)


@register("Angle")
def angle(input, *, Tout=np.float32):
    return jnp.angle(input).astype(Tout)
