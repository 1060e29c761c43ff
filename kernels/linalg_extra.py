"""More linear algebra kernels: matrix exponential, LU factorization, least squares and
tridiagonal systems."""

from __future__ import annotations

import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
from jax import lax

from kernels.registry import Spec, register

_PRECISION = lax.Precision.HIGHEST


def _square(x, op: str) -> None:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{op}: input must be a batch of square matrices, got {list(x.shape)}")


@register("MatrixExponential")
def matrix_exponential(input):
    _square(input, "MatrixExponential")
    return jnp.vectorize(jsl.expm, signature="(n,n)->(n,n)")(input)


def _lu_shape(specs, attrs, static_values):
    shape = specs[0].shape
    perm = None if shape is None else shape[:-1]
    return [specs[0], Spec(perm, np.dtype(attrs.get("output_idx_type", np.int32)))]


@register("Lu", shape=_lu_shape)
def lu(input, *, output_idx_type=np.int32):
    _square(input, "Lu")
    packed, _, permutation = lax.linalg.lu(input)
    return packed, permutation.astype(output_idx_type)


@register("MatrixSolveLs")
def matrix_solve_ls(matrix, rhs, l2_regularizer, *, fast=True):
    # The regularized normal equations, solved by Cholesky (TF's fast path).
    adjoint = jnp.conj(jnp.swapaxes(matrix, -1, -2))
    m, n = matrix.shape[-2:]
    eye_n, eye_m = jnp.eye(n, dtype=matrix.dtype), jnp.eye(m, dtype=matrix.dtype)
    if m >= n:
        gram = jnp.matmul(adjoint, matrix, precision=_PRECISION) + l2_regularizer * eye_n
        return jsl.cho_solve(
            jsl.cho_factor(gram, lower=True), jnp.matmul(adjoint, rhs, precision=_PRECISION)
        )
    gram = jnp.matmul(matrix, adjoint, precision=_PRECISION) + l2_regularizer * eye_m
    return jnp.matmul(
        adjoint, jsl.cho_solve(jsl.cho_factor(gram, lower=True), rhs), precision=_PRECISION
    )


@register("TridiagonalSolve")
def tridiagonal_solve(diagonals, rhs, *, partial_pivoting=True, perturb_singular=False):
    # TF's compact form [..., 3, M]: superdiagonal (last entry unused), diagonal,
    # subdiagonal (first entry unused). XLA's solver does not pivot.
    diagonals = jnp.asarray(diagonals)
    upper, main, lower = diagonals[..., 0, :], diagonals[..., 1, :], diagonals[..., 2, :]
    upper = upper.at[..., -1].set(0)
    lower = lower.at[..., 0].set(0)
    return lax.linalg.tridiagonal_solve(lower, main, upper, rhs)


@register("TridiagonalMatMul")
def tridiagonal_mat_mul(superdiag, maindiag, subdiag, rhs):
    # Each diagonal is [..., 1, M]; row i of the product mixes rows i - 1, i and i + 1.
    above = jnp.concatenate([rhs[..., 1:, :], jnp.zeros_like(rhs[..., :1, :])], axis=-2)
    below = jnp.concatenate([jnp.zeros_like(rhs[..., :1, :]), rhs[..., :-1, :]], axis=-2)
    column = lambda d: jnp.swapaxes(d, -1, -2)  # noqa: E731
    return column(superdiag) * above + column(maindiag) * rhs + column(subdiag) * below
