"""Counts with sparse output: DenseCountSparseOutput and SparseCountSparseOutput, the ops of
`tf.sparse.bincount`."""

from __future__ import annotations

import numpy as np

from kernels.registry import HOST, Spec, register


def _count_shape(specs, attrs, static_values):
    rank = specs[0].shape[1] if specs[0].shape and len(specs[0].shape) == 2 else None
    return [
        Spec((None, rank), np.dtype(np.int64)),
        Spec((None,), np.dtype(attrs.get("output_type", np.int64))),
        Spec((rank,), np.dtype(np.int64)),
    ]


def _counts(rows, values, weights, batched, minlength, maxlength, binary_output, output_type):
    """(indices, counts, dense_shape) of the (row, value) pairs: TF's CountSparseOutput."""
    values = np.asarray(values, np.int64)
    keep = values >= 0 if maxlength < 0 else (values >= 0) & (values < maxlength)
    rows, values = rows[keep], values[keep]
    weights = None if weights is None or np.size(weights) == 0 else np.asarray(weights)[keep]
    pairs, inverse = np.unique(
        np.stack([rows, values], 1).reshape(-1, 2), axis=0, return_inverse=True
    )
    inverse = inverse.reshape(-1)
    if binary_output:
        counts = np.ones(len(pairs), output_type)
    elif weights is None:
        counts = np.bincount(inverse, minlength=len(pairs)).astype(output_type)
    else:
        counts = np.bincount(inverse, weights, minlength=len(pairs)).astype(output_type)
    depth = int(values.max()) + 1 if values.size else 0
    depth = max(depth, minlength) if minlength >= 0 else depth
    if batched:
        return pairs, counts, np.array([batched, depth], np.int64)
    return pairs[:, 1:], counts, np.array([depth], np.int64)


@register("DenseCountSparseOutput", kind=HOST, shape=_count_shape)
def dense_count_sparse_output(
    values, weights, *, binary_output, output_type=np.int64, minlength=-1, maxlength=-1, T=np.int32
):
    values = np.asarray(values)
    if values.ndim not in (1, 2):
        raise ValueError(
            f"DenseCountSparseOutput: values must be 1-D or 2-D, got {list(values.shape)}"
        )
    rows = (
        np.repeat(np.arange(values.shape[0]), values.shape[1])
        if values.ndim == 2
        else np.zeros(values.size, np.int64)
    )
    weights = None if np.size(weights) == 0 else np.asarray(weights).reshape(-1)
    return _counts(
        rows,
        values.reshape(-1),
        weights,
        values.shape[0] if values.ndim == 2 else 0,
        minlength,
        maxlength,
        binary_output,
        np.dtype(output_type),
    )


@register("SparseCountSparseOutput", kind=HOST, shape=_count_shape)
def sparse_count_sparse_output(
    indices,
    values,
    dense_shape,
    weights,
    *,
    binary_output,
    output_type=np.int64,
    minlength=-1,
    maxlength=-1,
    T=np.int32,
):
    indices, dense_shape = np.asarray(indices, np.int64), np.asarray(dense_shape, np.int64)
    batched = len(dense_shape) == 2
    rows = indices[:, 0] if batched else np.zeros(len(indices), np.int64)
    weights = None if np.size(weights) == 0 else np.asarray(weights).reshape(-1)
    return _counts(
        rows,
        np.asarray(values).reshape(-1),
        weights,
        int(dense_shape[0]) if batched else 0,
        minlength,
        maxlength,
        binary_output,
        np.dtype(output_type),
    )
