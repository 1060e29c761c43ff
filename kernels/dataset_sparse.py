"""SparseTensors as dataset components (host): one variant component of shape [..., 3] per
SparseTensor, as TF's tf.data carries them.

A variant row holds the three arrays (indices, values, dense_shape) of one SparseTensor;
leading dimensions are batch dimensions, so batch, unbatch, slicing, zip, shuffle and cache
move sparse elements without knowing they are sparse. `DeserializeSparse` turns rows back
into one SparseTensor: leading dimensions become its first dimensions, the other dimensions
the largest of the rows' (TF's rule for a batch of SparseTensors).
"""

from __future__ import annotations

import numpy as np

from kernels.errors import InvalidArgumentError
from kernels.op_def import declare
from kernels.registry import HOST, Spec, register

_OBJECT, _INT64 = np.dtype(object), np.dtype(np.int64)


def sparse_row(indices, values, dense_shape) -> np.ndarray:
    """The variant row [3] of one SparseTensor."""
    row = np.empty(3, _OBJECT)
    row[1] = values = np.asarray(values)
    row[2] = dense_shape = np.asarray(dense_shape, _INT64).reshape(-1)
    row[0] = np.asarray(indices, _INT64).reshape(len(values), dense_shape.size)
    return row


def sparse_rows(indices, values, dense_shape) -> np.ndarray:
    """A rank-R SparseTensor as [dense_shape[0], 3] rows of rank R-1 (TF's
    SerializeManySparse): row n holds the entries whose first index is n."""
    indices, values = np.asarray(indices, _INT64), np.asarray(values)
    shape = np.asarray(dense_shape, _INT64).reshape(-1)
    if shape.size < 1:
        raise InvalidArgumentError(
            None, None, f"Rank of input SparseTensor should be > 0, but saw rank: {shape.size}"
        )
    indices = indices.reshape(len(values), shape.size)
    out = np.empty((int(shape[0]), 3), _OBJECT)
    order = np.argsort(indices[:, 0], kind="stable")
    first = indices[order, 0]
    bounds = np.searchsorted(first, np.arange(int(shape[0]) + 1))
    for n in range(int(shape[0])):
        mine = order[bounds[n] : bounds[n + 1]]
        out[n] = sparse_row(indices[mine, 1:], values[mine], shape[1:])
    return out


def _row_parts(row, dtype):
    if isinstance(row[0], (bytes, str)):  # TF's string form (tf.serialize_sparse)
        from kernels.sparse_serialize import deserialize_many_sparse

        indices, values, shape = deserialize_many_sparse(np.asarray([row], _OBJECT), dtype=dtype)
        return indices[:, 1:], values, shape[1:]
    return np.asarray(row[0], _INT64), np.asarray(row[1]), np.asarray(row[2], _INT64)


def deserialize(rows: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One SparseTensor (indices, values, dense_shape) from variant rows [..., 3]."""
    rows = np.asarray(rows, _OBJECT)
    if rows.ndim < 1 or rows.shape[-1] != 3:
        raise InvalidArgumentError(
            None,
            None,
            "Serialized sparse should have 3 as the last dimension, got shape "
            f"{list(rows.shape)}",
        )
    lead = rows.shape[:-1]
    flat = rows.reshape(-1, 3)
    parts = [_row_parts(r, dtype) for r in flat]
    ranks = {len(shape) for _, _, shape in parts}
    if len(ranks) > 1:
        raise InvalidArgumentError(
            None, None, f"Inconsistent shape across SparseTensors: rank {sorted(ranks)}"
        )
    rank = ranks.pop() if ranks else 0
    dtype = np.dtype(dtype)
    if not lead:
        indices, values, shape = parts[0]
        return indices.reshape(-1, rank), values.astype(dtype, copy=False), shape
    shape = np.max([p[2] for p in parts], axis=0) if parts else np.zeros(rank, _INT64)
    positions = np.array(list(np.ndindex(*lead)), _INT64).reshape(-1, len(lead))
    indices = [
        np.concatenate([np.repeat(positions[n : n + 1], len(i), 0), i.reshape(-1, rank)], 1)
        for n, (i, _, _) in enumerate(parts)
    ]
    return (
        np.concatenate(indices) if indices else np.zeros((0, len(lead) + rank), _INT64),
        np.concatenate([v.astype(dtype, copy=False) for _, v, _ in parts])
        if parts
        else np.zeros(0, dtype),
        np.concatenate([np.asarray(lead, _INT64), np.asarray(shape, _INT64)]),
    )


declare(
    "SerializeSparseToVariant",
    inputs=("sparse_indices: int64", "sparse_values: T", "sparse_shape: int64"),
    outputs=("serialized: variant",),
    attrs=("T: type",),
)


@register(
    "SerializeSparseToVariant",
    kind=HOST,
    shape=lambda specs, attrs, static_values: [Spec((3,), _OBJECT)],
)
def serialize_sparse_to_variant(sparse_indices, sparse_values, sparse_shape, *, T=None):
    """TF's SerializeSparse with out_type=variant: one SparseTensor as a variant row [3]."""
    return sparse_row(sparse_indices, sparse_values, sparse_shape)


declare(
    "SerializeManySparseToVariant",
    inputs=("sparse_indices: int64", "sparse_values: T", "sparse_shape: int64"),
    outputs=("serialized: variant",),
    attrs=("T: type",),
)


@register(
    "SerializeManySparseToVariant",
    kind=HOST,
    shape=lambda specs, attrs, static_values: [Spec((None, 3), _OBJECT)],
)
def serialize_many_sparse_to_variant(sparse_indices, sparse_values, sparse_shape, *, T=None):
    """TF's SerializeManySparse with out_type=variant: [N, 3] rows along the first dimension."""
    return sparse_rows(sparse_indices, sparse_values, sparse_shape)


def _deserialized_shape(specs, attrs, static_values):
    return [Spec((None, None), _INT64), Spec((None,), np.dtype(attrs["dtype"])), Spec((None,), _INT64)]


@register("DeserializeSparse", kind=HOST, shape=_deserialized_shape)
def deserialize_sparse(serialized_sparse, *, dtype, Tserialized=None):
    return deserialize(serialized_sparse, dtype)
