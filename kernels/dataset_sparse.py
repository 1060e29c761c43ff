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

from kernels.errors import DataLossError, InvalidArgumentError
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
    if shape.size < 2:
        raise InvalidArgumentError(
            None, None, f"Rank of input SparseTensor should be > 1, but saw rank: {shape.size}"
        )
    indices = indices.reshape(len(values), shape.size)
    _check_indices(indices, shape)
    out = np.empty((int(shape[0]), 3), _OBJECT)
    bounds = np.searchsorted(indices[:, 0], np.arange(int(shape[0]) + 1))
    for n in range(int(shape[0])):
        mine = slice(bounds[n], bounds[n + 1])
        out[n] = sparse_row(indices[mine, 1:], values[mine], shape[1:])
    return out


def _check_indices(indices: np.ndarray, shape: np.ndarray) -> None:
    """TF's SparseTensor::IndicesValid: in bounds, in row-major order, none repeated."""
    if not len(indices):
        return
    bad = np.flatnonzero(((indices < 0) | (indices >= shape)).any(1))
    step = indices[1:] - indices[:-1]  # lexicographic order: the first nonzero step is > 0
    signs = np.sign(step[np.arange(len(step)), np.argmax(step != 0, axis=1)])
    disorder = np.flatnonzero(signs <= 0) + 1
    if not len(bad) and not len(disorder):
        return
    where = min([*bad[:1], *disorder[:1]])
    at = "[" + ",".join(str(i) for i in indices[where]) + "]"
    if where in bad[:1]:
        bounds = "[" + ",".join(str(d) for d in shape) + "]"
        message = f"indices[{where}] = {at} is out of bounds: need 0 <= index < {bounds}"
    elif signs[where - 1] == 0:
        message = f"indices[{where}] = {at} is repeated"
    else:
        message = (
            f"indices[{where}] = {at} is out of order. Many sparse ops require sorted indices.\n"
            "    Use `tf.sparse.reorder` to create a correctly ordered copy."
        )
    raise InvalidArgumentError(None, None, message)


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
        first = len(parts[0][2])
        n = next(n for n, p in enumerate(parts) if len(p[2]) != first)
        raise InvalidArgumentError(
            None,
            None,
            "Inconsistent shape across SparseTensors: rank prior to "
            f"SparseTensor[{n}] was: {first} but rank of SparseTensor[{n}] is: "
            f"{len(parts[n][2])}",
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
    values = Spec((None,), np.dtype(attrs["dtype"]))
    return [Spec((None, None), _INT64), values, Spec((None,), _INT64)]


@register("DeserializeSparse", kind=HOST, shape=_deserialized_shape)
def deserialize_sparse(serialized_sparse, *, dtype, Tserialized=_OBJECT):
    return deserialize(serialized_sparse, dtype)


def dense_to_sparse_batch(elements: list, row_shape: tuple) -> np.ndarray:
    """The variant row of a batch of dense `elements` as one SparseTensor of dense shape
    [len(elements), *row_shape] holding every entry of each element (TF's
    DenseToSparseBatchDataset)."""
    indices, values = [], []
    for n, element in enumerate(elements):
        element = np.asarray(element)
        if element.ndim != len(row_shape):
            raise InvalidArgumentError(
                None,
                None,
                f"Input element had shape ({_dims(element.shape)}) that is incompatible with "
                f"the row shape ({_dims(row_shape)}).",
            )
        if any(a > r for a, r in zip(element.shape, row_shape)):
            raise DataLossError(
                None,
                None,
                f"Input element had shape ({_dims(element.shape)}) that is larger than the row "
                f"shape ({_dims(row_shape)}).",
            )
        where = np.indices(element.shape).reshape(element.ndim, -1).T
        indices.append(np.concatenate([np.full((len(where), 1), n), where], 1))
        values.append(element.reshape(-1))
    return sparse_row(
        np.concatenate(indices).astype(_INT64),
        np.concatenate(values),
        np.array([len(elements), *row_shape], _INT64),
    )


def _dims(shape) -> str:
    return "[" + ",".join(str(int(d)) for d in shape) + "]"
