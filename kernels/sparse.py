"""Sparse kernels: SparseToDense and SparseTensorDenseMatMul over (indices, values, shape)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.errors import InvalidArgumentError
from kernels.registry import HOST, Spec, register
from kernels.string_codes import moves_strings


def _to_dense_shape(specs, attrs, static_values):
    shape = static_values[1]
    if shape is None:
        n = specs[1].shape[0] if specs[1].shape else None
        return [Spec(None if n is None else (None,) * n, specs[2].dtype)]
    return [Spec(tuple(int(d) for d in np.atleast_1d(shape)), specs[2].dtype)]


@register("SparseToDense", static=("output_shape",), shape=_to_dense_shape)
@moves_strings
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


# -- reductions ---------------------------------------------------------------------------------


def _reduced_axes(shape, axes) -> tuple[int, ...]:
    rank = len(shape)
    if axes is None:
        return tuple(range(rank))
    out = set()
    for a in np.atleast_1d(np.asarray(axes)).tolist():
        if not -rank <= a < rank:
            raise InvalidArgumentError(
                None, None, f"Invalid reduction dimension {a}, for input with {rank} dimensions."
            )
        out.add(a % rank)
    return tuple(sorted(out))


def _reduce_sum_shape(specs, attrs, static_values):
    shape, axes = static_values[2], static_values[3]
    if shape is None or axes is None:
        return [Spec(None, specs[1].dtype)]
    dims = [int(d) for d in shape]
    try:
        reduced = _reduced_axes(dims, axes)
    except InvalidArgumentError as e:
        raise ValueError(e.message) from None
    keep = attrs["keep_dims"]
    out = tuple(1 if i in reduced else d for i, d in enumerate(dims) if keep or i not in reduced)
    return [Spec(out, specs[1].dtype)]


@register("SparseReduceSum", static=("input_shape", "reduction_axes"), shape=_reduce_sum_shape)
def sparse_reduce_sum(input_indices, input_values, input_shape, reduction_axes, *, keep_dims):
    dims = [int(d) for d in input_shape]
    reduced = _reduced_axes(dims, reduction_axes)
    kept = [i for i in range(len(dims)) if i not in reduced]
    values = jnp.asarray(input_values)
    if kept:
        out = jnp.zeros([dims[i] for i in kept], values.dtype)
        out = out.at[tuple(input_indices[:, i] for i in kept)].add(values)
    else:
        out = jnp.sum(values)
    if keep_dims:
        out = out.reshape([1 if i in reduced else d for i, d in enumerate(dims)])
    return out


def _reduce_sum_sparse_shape(specs, attrs, static_values):
    return [
        Spec((None, None), np.dtype(np.int64)),
        Spec((None,), specs[1].dtype),
        Spec((None,), np.dtype(np.int64)),
    ]


@register("SparseReduceSumSparse", kind=HOST, shape=_reduce_sum_sparse_shape)
def sparse_reduce_sum_sparse(
    input_indices, input_values, input_shape, reduction_axes, *, keep_dims
):
    dims = [int(d) for d in input_shape]
    reduced = _reduced_axes(dims, reduction_axes)
    kept = [i for i in range(len(dims)) if i not in reduced]
    values = np.asarray(input_values)
    idx = np.asarray(input_indices, np.int64)[:, kept]
    if kept:
        uniq, inverse = np.unique(idx, axis=0, return_inverse=True)  # row-major order
    else:
        uniq, inverse = np.zeros((min(len(idx), 1), 0), np.int64), np.zeros(len(idx), np.int64)
    sums = np.zeros(len(uniq), values.dtype)
    np.add.at(sums, inverse.reshape(-1), values)
    out_shape = np.array([dims[i] for i in kept], np.int64)
    if keep_dims:
        full = np.zeros((len(uniq), len(dims)), np.int64)
        full[:, kept] = uniq
        uniq = full
        out_shape = np.array([1 if i in reduced else d for i, d in enumerate(dims)], np.int64)
    return uniq.reshape(len(uniq), -1).astype(np.int64), sums, out_shape


# -- add ----------------------------------------------------------------------------------------


def _sparse_add_shape(specs, attrs, static_values):
    rank = specs[0].shape[1] if specs[0].shape else None
    return [
        Spec((None, rank), np.dtype(np.int64)),
        Spec((None,), specs[1].dtype),
        Spec(specs[2].shape, np.dtype(np.int64)),
    ]


def _merge(a_indices, b_indices):
    """Where a's and b's entries go in the sorted merge of two canonically ordered lists:
    (order over the concatenation, mask of the positions whose entry pairs with the next)."""
    keys = np.concatenate([a_indices, b_indices])
    source = np.r_[np.zeros(len(a_indices), np.int8), np.ones(len(b_indices), np.int8)]
    order = np.lexsort((source,) + tuple(keys[:, ::-1].T)) if keys.size else np.arange(len(keys))
    k, s = keys[order], source[order]
    pairs = np.zeros(len(order), bool)
    if len(order) > 1:
        pairs[:-1] = np.all(k[:-1] == k[1:], axis=1) & (s[:-1] == 0) & (s[1:] == 1)
    return order, pairs


@register("SparseAdd", kind=HOST, shape=_sparse_add_shape)
def sparse_add(a_indices, a_values, a_shape, b_indices, b_values, b_shape, thresh):
    a_shape, b_shape = np.asarray(a_shape), np.asarray(b_shape)
    if a_shape.shape != b_shape.shape or np.any(a_shape != b_shape):
        raise InvalidArgumentError(
            None,
            None,
            "Operands do not have the same ranks; got shapes: "
            f"{a_shape.tolist()} and {b_shape.tolist()}",
        )
    a_indices = np.asarray(a_indices, np.int64).reshape(-1, len(a_shape))
    b_indices = np.asarray(b_indices, np.int64).reshape(-1, len(b_shape))
    order, pairs = _merge(a_indices, b_indices)
    indices = np.concatenate([a_indices, b_indices])[order]
    values = np.concatenate([np.asarray(a_values), np.asarray(b_values)])[order]
    summed = np.r_[False, pairs[:-1]] if len(pairs) else pairs  # the second of each pair
    values = values.copy()
    values[:-1][pairs[:-1]] += values[1:][pairs[:-1]]
    keep = ~summed & ~(pairs & (np.abs(values) < np.asarray(thresh)))
    return indices[keep], values[keep], a_shape.astype(np.int64)


def _add_grad_shape(specs, attrs, static_values):
    return [Spec((None,), specs[0].dtype), Spec((None,), specs[0].dtype)]


@register("SparseAddGrad", kind=HOST, shape=_add_grad_shape)
def sparse_add_grad(backprop_val_grad, a_indices, b_indices, sum_indices):
    grad = np.asarray(backprop_val_grad)
    out = []
    for indices in (a_indices, b_indices):
        indices, sums = np.asarray(indices), np.asarray(sum_indices)
        g = np.zeros(len(indices), grad.dtype)
        rows = {tuple(r): i for i, r in enumerate(sums.tolist())}
        for i, r in enumerate(indices.tolist()):
            j = rows.get(tuple(r))
            if j is not None:
                g[i] = grad[j]
        out.append(g)
    return tuple(out)


@register("SparseTensorDenseAdd")
def sparse_tensor_dense_add(a_indices, a_values, a_shape, b):
    b = jnp.asarray(b)
    return b.at[tuple(a_indices[:, i] for i in range(b.ndim))].add(a_values.astype(b.dtype))


# -- reorder and reshape ------------------------------------------------------------------------


@register("SparseReorder")
@moves_strings
def sparse_reorder(input_indices, input_values, input_shape):
    indices = jnp.asarray(input_indices)
    if indices.shape[0] == 0 or indices.shape[1] == 0:
        return indices, input_values
    order = jnp.lexsort(tuple(indices[:, i] for i in reversed(range(indices.shape[1]))))
    return indices[order], jnp.asarray(input_values)[order]


def _reshape_shape(specs, attrs, static_values):
    n = specs[0].shape[0] if specs[0].shape else None
    rank = specs[2].shape[0] if specs[2].shape else None
    return [Spec((n, rank), np.dtype(np.int64)), Spec((rank,), np.dtype(np.int64))]


@register("SparseReshape", kind=HOST, shape=_reshape_shape)
def sparse_reshape(input_indices, input_shape, new_shape):
    in_shape, new = np.asarray(input_shape, np.int64), np.asarray(new_shape, np.int64).copy()
    size = int(np.prod(in_shape))
    unknown = np.flatnonzero(new == -1)
    if len(unknown) > 1:
        raise InvalidArgumentError(
            None,
            None,
            f"only one output dimension may be -1, not both {unknown[0]} and {unknown[1]}",
        )
    known = int(np.prod(new[new != -1]))
    if len(unknown):
        if known == 0 or size % known:
            raise InvalidArgumentError(
                None,
                None,
                f"Input to reshape is a SparseTensor with {size} dense values, but "
                f"the requested shape requires a multiple of {known}. "
                f"inputShape={in_shape.tolist()} outputShape={new.tolist()}",
            )
        new[unknown[0]] = size // known
    elif known != size:
        raise InvalidArgumentError(
            None,
            None,
            f"Input to reshape is a tensor with {size} dense values, but the "
            f"requested shape has {known}. inputShape={in_shape.tolist()} "
            f"outputShape={new.tolist()}",
        )
    indices = np.asarray(input_indices, np.int64).reshape(-1, len(in_shape))
    flat = np.zeros(len(indices), np.int64)
    for i, d in enumerate(in_shape):
        flat = flat * d + indices[:, i]
    out = np.zeros((len(flat), len(new)), np.int64)
    for i in reversed(range(len(new))):
        flat, out[:, i] = np.divmod(flat, new[i]) if new[i] else (flat, 0)
    return out.astype(np.int64).reshape(len(indices), len(new)), new


# -- concat, slice, split -----------------------------------------------------------------------


def _concat_shape(specs, attrs, static_values):
    n = len(specs) // 3
    rows = [s.shape[0] if s.shape else None for s in specs[:n]]
    total = None if None in rows else sum(rows)
    rank = specs[0].shape[1] if specs[0].shape else None
    return [
        Spec((total, rank), np.dtype(np.int64)),
        Spec((total,), specs[n].dtype),
        Spec((rank,), np.dtype(np.int64)),
    ]


@register("SparseConcat", kind=HOST, shape=_concat_shape)
def sparse_concat(*inputs, concat_dim: int):
    n = len(inputs) // 3
    shapes = [np.asarray(s, np.int64) for s in inputs[2 * n :]]
    rank = len(shapes[0])
    if not -rank <= concat_dim < rank:
        raise InvalidArgumentError(
            None, None, f"Concat dimension must be in range [{-rank}, {rank}), got {concat_dim}"
        )
    axis = concat_dim % rank
    for i, s in enumerate(shapes):
        other = np.delete(s, axis), np.delete(shapes[0], axis)
        if len(s) != rank or np.any(other[0] != other[1]):
            raise InvalidArgumentError(
                None,
                None,
                f"Input shapes must match: expected {shapes[0].tolist()} for "
                f"dimensions other than {axis}, got {s.tolist()} for input {i}",
            )
    offsets = np.cumsum([0] + [int(s[axis]) for s in shapes])
    indices = []
    for i in range(n):
        ind = np.asarray(inputs[i], np.int64).reshape(-1, rank).copy()
        ind[:, axis] += offsets[i]
        indices.append(ind)
    indices = np.concatenate(indices)
    values = np.concatenate([np.asarray(v) for v in inputs[n : 2 * n]])
    order = np.lexsort(tuple(indices[:, ::-1].T)) if indices.size else np.arange(len(indices))
    out_shape = shapes[0].copy()
    out_shape[axis] = offsets[-1]
    return indices[order], values[order], out_shape


def _slice_shape(specs, attrs, static_values):
    rank = specs[0].shape[1] if specs[0].shape else None
    return [
        Spec((None, rank), np.dtype(np.int64)),
        Spec((None,), specs[1].dtype),
        Spec((rank,), np.dtype(np.int64)),
    ]


def _slice(indices, values, shape, start, size):
    shape = np.asarray(shape, np.int64)
    start, size = np.asarray(start, np.int64), np.asarray(size, np.int64)
    indices = np.asarray(indices, np.int64).reshape(-1, len(shape))
    if start.shape != shape.shape or size.shape != shape.shape:
        raise InvalidArgumentError(
            None,
            None,
            f"Expected start and size to have rank {len(shape)}, got "
            f"{start.tolist()} and {size.tolist()}",
        )
    end = np.minimum(start + size, shape)
    keep = np.all((indices >= start) & (indices < end), axis=1)
    return (
        indices[keep] - start,
        np.asarray(values)[keep],
        np.maximum(end - start, 0).astype(np.int64),
    )


@register("SparseSlice", kind=HOST, shape=_slice_shape)
def sparse_slice(indices, values, shape, start, size):
    return _slice(indices, values, shape, start, size)


def _split_shape(specs, attrs, static_values):
    rank = specs[1].shape[1] if specs[1].shape else None
    k = attrs["num_split"]
    return (
        [Spec((None, rank), np.dtype(np.int64))] * k
        + [Spec((None,), specs[2].dtype)] * k
        + [Spec((rank,), np.dtype(np.int64))] * k
    )


@register("SparseSplit", kind=HOST, shape=_split_shape)
def sparse_split(split_dim, indices, values, shape, *, num_split: int):
    shape = np.asarray(shape, np.int64)
    rank, dim = len(shape), int(split_dim)
    if not -rank <= dim < rank:
        raise InvalidArgumentError(
            None, None, f"Input split_dim should be between {-rank} and {rank}, got {dim}"
        )
    dim %= rank
    if num_split > shape[dim]:
        raise InvalidArgumentError(
            None,
            None,
            f"num_split ({num_split}) must not exceed the split dimension ({shape[dim]})",
        )
    base, extra = divmod(int(shape[dim]), num_split)
    sizes = [base + (i < extra) for i in range(num_split)]
    starts = np.cumsum([0] + sizes[:-1])
    parts = []
    for begin, size in zip(starts, sizes):
        start, extent = np.zeros(rank, np.int64), shape.copy()
        start[dim], extent[dim] = begin, size
        parts.append(_slice(indices, values, shape, start, extent))
    return tuple(p[j] for j in range(3) for p in parts)


# -- fill empty rows, softmax -------------------------------------------------------------------


def _fill_empty_rows_shape(specs, attrs, static_values):
    rank = specs[0].shape[1] if specs[0].shape else None
    n = specs[0].shape[0] if specs[0].shape else None
    return [
        Spec((None, rank), np.dtype(np.int64)),
        Spec((None,), specs[1].dtype),
        Spec((None,), np.dtype(bool)),
        Spec((n,), np.dtype(np.int64)),
    ]


@register("SparseFillEmptyRows", kind=HOST, shape=_fill_empty_rows_shape)
def sparse_fill_empty_rows(indices, values, dense_shape, default_value):
    shape = np.asarray(dense_shape, np.int64)
    values = np.asarray(values)
    if len(shape) == 0:
        raise InvalidArgumentError(None, None, "dense_shape must be a vector of rank >= 1")
    indices = np.asarray(indices, np.int64).reshape(-1, len(shape))
    rows = int(shape[0])
    if len(indices) and (indices[:, 0].min() < 0 or indices[:, 0].max() >= rows):
        bad = int(np.flatnonzero((indices[:, 0] < 0) | (indices[:, 0] >= rows))[0])
        raise InvalidArgumentError(
            None, None, f"indices({bad}, 0) is invalid: {indices[bad, 0]} >= {rows}"
        )
    empty = np.bincount(indices[:, 0], minlength=rows)[:rows] == 0
    fill = np.zeros((int(empty.sum()), len(shape)), np.int64)
    fill[:, 0] = np.flatnonzero(empty)
    all_indices = np.concatenate([indices, fill])
    all_values = np.concatenate([values, np.full(len(fill), default_value, values.dtype)])
    order = np.argsort(all_indices[:, 0], kind="stable")  # by row, input order within a row
    reverse = np.empty(len(order), np.int64)
    reverse[order] = np.arange(len(order))
    return all_indices[order], all_values[order], empty, reverse[: len(indices)]


@register("SparseSoftmax")
def sparse_softmax(sp_indices, sp_values, sp_shape):
    # Entries that share all but the last coordinate form one softmax group; TF's kernel
    # requires canonical order, so a group is a run of consecutive entries.
    n = sp_values.shape[0]
    if n == 0:
        return sp_values
    lead = sp_indices[:, :-1]
    starts = jnp.concatenate([jnp.ones((1,), bool), jnp.any(lead[1:] != lead[:-1], axis=1)])
    group = jnp.cumsum(starts) - 1

    maxes = jax.ops.segment_max(sp_values, group, num_segments=n)
    e = jnp.exp(sp_values - maxes[group])
    return e / jax.ops.segment_sum(e, group, num_segments=n)[group]
