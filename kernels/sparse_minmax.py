"""Sparse maximum and minimum: element-wise over two SparseTensors, and max-reductions."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from kernels.registry import HOST, Spec, register
from kernels.sparse import _reduce_sum_shape, _reduce_sum_sparse_shape, _reduced_axes


def _lowest(dtype):
    return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


@register("SparseReduceMax", static=("input_shape", "reduction_axes"), shape=_reduce_sum_shape)
def sparse_reduce_max(input_indices, input_values, input_shape, reduction_axes, *, keep_dims):
    # The max over the values present; a group without any is 0, as in TF.
    dims = [int(d) for d in input_shape]
    reduced = _reduced_axes(dims, reduction_axes)
    kept = [i for i in range(len(dims)) if i not in reduced]
    values = jnp.asarray(input_values)
    if kept:
        where = tuple(input_indices[:, i] for i in kept)
        out_dims = [dims[i] for i in kept]
        best = jnp.full(out_dims, _lowest(values.dtype), values.dtype).at[where].max(values)
        count = jnp.zeros(out_dims, jnp.int32).at[where].add(1)
    else:
        best = jnp.max(values, initial=_lowest(values.dtype))
        count = jnp.asarray(values.shape[0])
    out = jnp.where(count > 0, best, jnp.zeros_like(best))
    if keep_dims:
        out = out.reshape([1 if i in reduced else d for i, d in enumerate(dims)])
    return out


@register("SparseReduceMaxSparse", kind=HOST, shape=_reduce_sum_sparse_shape)
def sparse_reduce_max_sparse(
    input_indices, input_values, input_shape, reduction_axes, *, keep_dims
):
    dims = [int(d) for d in input_shape]
    reduced = _reduced_axes(dims, reduction_axes)
    kept = [i for i in range(len(dims)) if i not in reduced]
    values = np.asarray(input_values)
    idx = np.asarray(input_indices, np.int64)[:, kept]
    groups, inverse = np.unique(idx, axis=0, return_inverse=True)  # row-major order
    best = np.full(len(groups), _lowest(values.dtype), values.dtype)
    np.maximum.at(best, inverse.reshape(-1), values)
    shape = np.array([dims[i] for i in kept], np.int64)
    if keep_dims:
        full = np.zeros((len(groups), len(dims)), np.int64)
        full[:, kept] = groups
        groups = full
        shape = np.array([1 if i in reduced else d for i, d in enumerate(dims)], np.int64)
    return groups.reshape(len(groups), -1).astype(np.int64), best, shape


def _pair_shape(specs, attrs, static_values):
    rank = specs[0].shape[1] if specs[0].shape else None
    return [Spec((None, rank), np.dtype(np.int64)), Spec((None,), specs[1].dtype)]


def _elementwise(a_indices, a_values, a_shape, b_indices, b_values, b_shape, pick, op):
    if not np.array_equal(np.asarray(a_shape), np.asarray(b_shape)):
        raise ValueError(
            f"{op}: Operands do not have the same ranks or shapes: "
            f"{list(a_shape)} vs. {list(b_shape)}"
        )
    a_idx, b_idx = np.asarray(a_indices, np.int64), np.asarray(b_indices, np.int64)
    rank = len(np.asarray(a_shape))
    union = np.unique(np.concatenate([a_idx, b_idx]).reshape(-1, rank), axis=0)
    position = {tuple(row): k for k, row in enumerate(union)}

    def spread(idx, vals):  # the operand at every index of the union; absent entries are 0
        full = np.zeros(len(union), np.asarray(vals).dtype)
        full[[position[tuple(row)] for row in idx]] = vals
        return full

    return union, pick(spread(a_idx, a_values), spread(b_idx, b_values))


@register("SparseSparseMaximum", kind=HOST, shape=_pair_shape)
def sparse_sparse_maximum(a_indices, a_values, a_shape, b_indices, b_values, b_shape):
    return _elementwise(
        a_indices,
        a_values,
        a_shape,
        b_indices,
        b_values,
        b_shape,
        np.maximum,
        "SparseSparseMaximum",
    )


@register("SparseSparseMinimum", kind=HOST, shape=_pair_shape)
def sparse_sparse_minimum(a_indices, a_values, a_shape, b_indices, b_values, b_shape):
    return _elementwise(
        a_indices,
        a_values,
        a_shape,
        b_indices,
        b_values,
        b_shape,
        np.minimum,
        "SparseSparseMinimum",
    )
