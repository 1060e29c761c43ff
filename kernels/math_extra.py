"""More math kernels: approximate top-k, GuaranteeConst, Timestamp, SparseMatMul, matrix
square root and logarithm, and N-d FFTs over chosen axes."""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import jax.scipy.special  # noqa: F401  (jax.scipy.special below)
import numpy as np
from jax import lax

from kernels.registry import HOST, SIDE_EFFECTS, Spec, register

_PRECISION = lax.Precision.HIGHEST


@register("ApproxTopK")
def approx_top_k(
    input,
    *,
    k,
    reduction_dimension=-1,
    recall_target=0.95,
    is_max_k=True,
    reduction_input_size_override=-1,
    aggregate_to_topk=True,
):
    search = lax.approx_max_k if is_max_k else lax.approx_min_k
    values, indices = search(
        input,
        k,
        reduction_dimension=reduction_dimension,
        recall_target=recall_target,
        reduction_input_size_override=reduction_input_size_override,
        aggregate_to_topk=aggregate_to_topk,
    )
    return values, indices.astype(jnp.int32)


@register("GuaranteeConst")
def guarantee_const(input):
    return input


@register(
    "Timestamp",
    kind=HOST,
    effects=SIDE_EFFECTS,
    shape=lambda specs, attrs, static_values: [Spec((), np.dtype(np.float64))],
)
def timestamp():
    return np.float64(time.time())


@register("SparseMatMul")
def sparse_mat_mul(
    a, b, *, transpose_a=False, transpose_b=False, a_is_sparse=False, b_is_sparse=False
):
    # The sparsity flags only choose TF's CPU algorithm; the product is the same.
    a = a.T if transpose_a else a
    b = b.T if transpose_b else b
    return jnp.matmul(a.astype(jnp.float32), b.astype(jnp.float32), precision=_PRECISION)


def _square(x, op: str) -> None:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{op}: input must be a batch of square matrices, got {list(x.shape)}")


@register("MatrixSquareRoot")
def matrix_square_root(input):
    # Denman-Beavers iteration: differentiable and device-independent (scipy's Schur
    # method runs on CPU only); it converges for matrices with no eigenvalue on the closed
    # negative real axis, the principal square roots TF computes.
    _square(input, "MatrixSquareRoot")
    x = input.astype(jnp.promote_types(input.dtype, jnp.float32))
    eye = jnp.broadcast_to(jnp.eye(x.shape[-1], dtype=x.dtype), x.shape)

    def step(_, yz):
        y, z = yz
        return (y + jnp.linalg.inv(z)) / 2, (z + jnp.linalg.inv(y)) / 2

    y, _ = lax.fori_loop(0, 40, step, (x, eye))
    return y.astype(input.dtype)


@register("MatrixLogarithm")
def matrix_logarithm(input):
    # V diag(log w) V^-1 from the eigendecomposition (TF: complex inputs only).
    _square(input, "MatrixLogarithm")
    w, v = jnp.linalg.eig(input)
    v = v.astype(input.dtype)
    logs = jnp.log(w.astype(input.dtype))
    return jnp.linalg.solve(
        jnp.swapaxes(v, -1, -2), jnp.swapaxes(v * logs[..., None, :], -1, -2)
    ).swapaxes(-1, -2)


def _axes_and_lengths(fft_length, axes, ndim: int, op: str):
    lengths = [int(n) for n in np.asarray(fft_length).reshape(-1)]
    axes = [int(a) for a in np.asarray(axes).reshape(-1)]
    if len(lengths) != len(axes):
        raise ValueError(
            f"{op}: fft_length and axes must have the same length, got {lengths} and {axes}"
        )
    if any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f"{op}: axes {axes} out of range for an input of rank {ndim}")
    return lengths, axes


@register("FFTND", static=("fft_length", "axes"))
def fftnd(input, fft_length, axes):
    lengths, axes = _axes_and_lengths(fft_length, axes, input.ndim, "FFTND")
    return jnp.fft.fftn(input, s=lengths, axes=axes).astype(input.dtype)


@register("IFFTND", static=("fft_length", "axes"))
def ifftnd(input, fft_length, axes):
    lengths, axes = _axes_and_lengths(fft_length, axes, input.ndim, "IFFTND")
    return jnp.fft.ifftn(input, s=lengths, axes=axes).astype(input.dtype)


@register("RFFTND", static=("fft_length", "axes"))
def rfftnd(input, fft_length, axes, *, Tcomplex=np.complex64):
    lengths, axes = _axes_and_lengths(fft_length, axes, input.ndim, "RFFTND")
    return jnp.fft.rfftn(input, s=lengths, axes=axes).astype(Tcomplex)


@register("IRFFTND", static=("fft_length", "axes"))
def irfftnd(input, fft_length, axes, *, Treal=np.float32):
    lengths, axes = _axes_and_lengths(fft_length, axes, input.ndim, "IRFFTND")
    return jnp.fft.irfftn(input, s=lengths, axes=axes).astype(Treal)


# -- special functions of tf.math.special -----------------------------------------------------


@register("Dawsn")
def dawsn(x):
    return jax.scipy.special.dawsn(x)


@register("Expint")
def expint(x):
    return jax.scipy.special.expi(x)


@register("FresnelCos")
def fresnel_cos(x):
    return jax.scipy.special.fresnel(x)[1]


@register("FresnelSin")
def fresnel_sin(x):
    return jax.scipy.special.fresnel(x)[0]


@register("Spence")
def spence(x):
    return jax.scipy.special.spence(x)
