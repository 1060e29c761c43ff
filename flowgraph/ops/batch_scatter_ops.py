"""`tf.batch_scatter_update`: scatter_update on the last index of a batch of indices."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops, state_ops
from flowgraph.ops.constant_op import convert_to_tensor


def batch_scatter_update(ref, indices, updates, use_locking=True, name=None):
    """Updates the variable `ref` at `indices` along its first non-batch dim, per batch.

    For `indices` of shape `[B1, ..., Bn, K]`, `ref[b1, ..., bn, indices[b1, ..., bn, k]]`
    becomes `updates[b1, ..., bn, k]`.

    Args:
      ref: a variable `[B1, ..., Bn, N, ...]`.
      indices: int32 or int64 `[B1, ..., Bn, K]`.
      updates: `[B1, ..., Bn, K, ...]`.
      use_locking: accepted for TF's signature.
      name: a name scope.

    Returns:
      `ref` after the update.

    Raises:
      ValueError: if the rank of `indices` is not known.
    """
    with name_scope(name, "BatchScatterUpdate", [indices, updates]):
        indices = convert_to_tensor(indices, name="indices")
        rank = indices.shape.ndims
        if rank is None:
            raise ValueError("batch_gather does not allow indices with unknown shape.")
        shape = array_ops.shape(indices)
        nd = array_ops.expand_dims(indices, -1)
        coordinates = []
        for dim in range(rank - 1):
            broadcast = [1] * (rank + 1)
            broadcast[dim] = -1
            positions = array_ops.reshape(array_ops.range(0, shape[dim]), broadcast)
            positions = math_ops.cast(positions, indices.dtype)
            coordinates.append(positions * array_ops.ones_like(nd))
        final = array_ops.concat(coordinates + [nd], axis=-1)
        if final.dtype not in (dtypes.int32, dtypes.int64):
            final = math_ops.cast(final, dtypes.int64)
        return state_ops.scatter_nd_update(ref, final, updates, use_locking=use_locking)
