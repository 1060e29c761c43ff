"""Sparse segment reductions (`tf.sparse_segment_sum`, `_mean`, `_sqrt_n`) and small
SparseTensor constructors (`tf.sparse.from_dense`, `eye`, `expand_dims`, `sparse_merge`,
`sparse_reset_shape`)."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops, math_ops, sparse_ops
from flowgraph.ops.array_ops import _index_tensor
from flowgraph.ops.constant_op import convert_to_tensor


def _sparse_segment(kind: str, data, indices, segment_ids, name, num_segments) -> Tensor:
    data = convert_to_tensor(data, name="data")
    indices, segment_ids = _index_tensor(indices, "indices"), _index_tensor(segment_ids)
    attrs = dict(
        T=data.dtype.base_dtype.numpy_dtype,
        Tidx=indices.dtype.numpy_dtype,
        Tsegmentids=segment_ids.dtype.numpy_dtype,
    )
    if num_segments is None:
        return apply_op(f"SparseSegment{kind}", [data, indices, segment_ids], name=name, **attrs)
    num_segments = _index_tensor(num_segments, "num_segments")
    return apply_op(
        f"SparseSegment{kind}WithNumSegments",
        [data, indices, segment_ids, num_segments],
        name=name,
        Tnumsegments=num_segments.dtype.numpy_dtype,
        **attrs,
    )


def sparse_segment_sum(data, indices, segment_ids, name=None, num_segments=None) -> Tensor:
    """Sums the rows `data[indices]` per (sorted) segment id.

    Example:
      >>> c = tf.constant([[1, 2, 3, 4], [-1, -2, -3, -4], [5, 6, 7, 8]])
      >>> tf.sparse_segment_sum(c, [0, 1], [0, 0])   # [[0, 0, 0, 0]]
    """
    return _sparse_segment("Sum", data, indices, segment_ids, name, num_segments)


def sparse_segment_mean(data, indices, segment_ids, name=None, num_segments=None) -> Tensor:
    """The mean of the rows `data[indices]` per segment id (0 for empty segments)."""
    return _sparse_segment("Mean", data, indices, segment_ids, name, num_segments)


def sparse_segment_sqrt_n(data, indices, segment_ids, name=None, num_segments=None) -> Tensor:
    """The sum of the rows `data[indices]` per segment id, divided by sqrt(their count)."""
    return _sparse_segment("SqrtN", data, indices, segment_ids, name, num_segments)


def from_dense(tensor, name=None) -> SparseTensor:
    """The non-zero elements of `tensor` as a SparseTensor."""
    with name_scope(name, "dense_to_sparse"):
        tensor = convert_to_tensor(tensor)
        indices = array_ops.where(math_ops.not_equal(tensor, array_ops.zeros_like(tensor)))
        values = array_ops.gather_nd(tensor, indices)
        return SparseTensor(indices, values, array_ops.shape(tensor, out_type=dtypes.int64))


def eye(num_rows, num_columns=None, dtype=dtypes.float32, name=None) -> SparseTensor:
    """A sparse identity matrix [num_rows, num_columns] (square when no columns given)."""
    with name_scope(name, "eye", [num_rows, num_columns]):
        rows = math_ops.cast(convert_to_tensor(num_rows), dtypes.int64)
        columns = rows if num_columns is None else math_ops.cast(num_columns, dtypes.int64)
        diagonal = array_ops.range(math_ops.minimum(rows, columns))
        indices = array_ops.stack([diagonal, diagonal], 1)
        values = array_ops.ones_like(diagonal, dtype=dtypes.as_dtype(dtype))
        return SparseTensor(indices, values, array_ops.stack([rows, columns]))


def expand_dims(sp_input, axis=None, name=None) -> SparseTensor:
    """`sp_input` with a dimension of size 1 inserted at `axis`."""
    with name_scope(name, "expand_dims", [sp_input]):
        rank = sp_input.dense_shape.shape.as_list()[0]
        if rank is None:
            raise ValueError("expand_dims needs the SparseTensor's rank")
        axis = -1 if axis is None else axis
        axis = axis + rank + 1 if axis < 0 else axis
        count = array_ops.shape(sp_input.indices, out_type=dtypes.int64)[:1]
        one = np.array([1], np.int64)
        zeros = array_ops.zeros(array_ops.concat([count, one], 0), dtypes.int64)
        indices = array_ops.concat(
            [sp_input.indices[:, :axis], zeros, sp_input.indices[:, axis:]], 1
        )
        shape = array_ops.concat([sp_input.dense_shape[:axis], one, sp_input.dense_shape[axis:]], 0)
        return SparseTensor(indices, sp_input.values, shape)


def sparse_reset_shape(sp_input, new_shape=None) -> SparseTensor:
    """`sp_input` with dense shape `new_shape`, or the tightest one around its indices."""
    with name_scope(None, "SparseResetShape", [sp_input]):
        if new_shape is None:
            shape = math_ops.reduce_max(sp_input.indices, 0) + 1
        else:
            shape = math_ops.cast(convert_to_tensor(new_shape), dtypes.int64)
        return SparseTensor(sp_input.indices, sp_input.values, shape)


def sparse_merge(sp_ids, sp_values, vocab_size, name=None, already_sorted=False):
    """Combines ids and values SparseTensors into one whose last dimension is indexed by
    the ids (of size `vocab_size`) and holds the values."""
    with name_scope(name, "SparseMerge", [sp_ids, sp_values]):
        ids = math_ops.cast(sp_ids.values, dtypes.int64)
        indices = array_ops.concat([sp_ids.indices[:, :-1], array_ops.expand_dims(ids, 1)], 1)
        vocab = math_ops.cast(convert_to_tensor(vocab_size), dtypes.int64)
        shape = array_ops.concat([sp_ids.dense_shape[:-1], array_ops.reshape(vocab, [1])], 0)
        result = SparseTensor(indices, sp_values.values, shape)
        return result if already_sorted else sparse_ops.sparse_reorder(result)
