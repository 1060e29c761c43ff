"""Sparse kernels: SparseToDense and SparseTensorDenseMatMul over (indices, values, shape)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from kernels.registry import Spec, register


def _to_dense_shape(specs, attrs, static_values):
    shape = static_values[1]
    if shape is None:
        n = specs[1].shape[0] if specs[1].shape else None
        return [Spec(None if n is None else (None,) * n, specs[2].dtype)]
    return [Spec(tuple(int(d) for d in np.atleast_1d(shape)), specs[2].dtype)]


@register("SparseToDense", static=("output_shape",), shape=_to_dense_shape)
def sparse_to_dense(
    sparse_indices, output_shape, sparse_values, default_value, *, validate_indices: bool = True
):
    shape = tuple(int(d) for d in np.atleast_1d(output_shape))
    indices = jnp.asarray(sparse_indices)
    indices = indices.reshape(-1, 1) if indices.ndim < 2 else indices
    values = jnp.broadcast_to(jnp.asarray(sparse_values), indices.shape[:1])
    dense = jnp.full(shape, default_value, dtype=values.dtype)
    return dense.at[tuple(indices[:, i] for i in range(len(shape)))].set(values)


def _matmul_shape(specs, attrs, static_values):
    a_shape, b = static_values[2], specs[3].shape
    rows = None if a_shape is None else int(a_shape[1 if attrs["adjoint_a"] else 0])
    cols = None if b is None else b[0 if attrs["adjoint_b"] else 1]
    return [Spec((rows, cols), specs[1].dtype)]


@register("SparseTensorDenseMatMul", static=("a_shape",), shape=_matmul_shape)
def sparse_tensor_dense_mat_mul(
    a_indices, a_values, a_shape, b, *, adjoint_a: bool = False, adjoint_b: bool = False
):
    rows, inner = (int(d) for d in a_shape)
    i, k = a_indices[:, 0], a_indices[:, 1]
    if adjoint_a:
        i, k, rows = k, i, inner
        a_values = jnp.conj(a_values)
    b = jnp.asarray(b)
    b = jnp.conj(b.T) if adjoint_b else b
    products = a_values[:, None] * b[k]
    return jnp.zeros((rows, b.shape[1]), products.dtype).at[i].add(products)
