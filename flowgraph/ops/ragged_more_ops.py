"""More of `tf.ragged`: `range`, `boolean_mask` and `stack_dynamic_partitions`."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ragged_tensor import RaggedTensor
from flowgraph.framework.scopes import control_dependencies, name_scope
from flowgraph.ops import array_ops, check_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.ragged_ops import row_splits_to_segment_ids


def range(
    starts,
    limits=None,
    deltas=1,
    dtype=None,
    name=None,  # noqa: A001  (TF's name)
    row_splits_dtype=dtypes.int64,
):
    """A RaggedTensor whose row `i` is `range(starts[i], limits[i], deltas[i])`.

    `starts`, `limits` and `deltas` are scalars or vectors (broadcast); with `limits` None
    the rows are `range(0, starts[i])`.

    Example:
      >>> tf.ragged.range([3, 5, 2], [7, 5, 8], [1, 1, 3])   # [[3, 4, 5, 6], [], [2, 5]]
    """
    if limits is None:
        starts, limits = 0, starts
    with name_scope(name, "RaggedRange", [starts, limits, deltas]):
        starts = convert_to_tensor(starts, dtype=dtype, name="starts")
        limits = convert_to_tensor(limits, dtype=starts.dtype, name="limits")
        deltas = convert_to_tensor(deltas, dtype=starts.dtype, name="deltas")
        ones = array_ops.ones_like(starts + limits + deltas)
        if ones.shape.ndims == 0:
            ones = array_ops.reshape(ones, [1])
        starts, limits, deltas = starts * ones, limits * ones, deltas * ones
        check = check_ops.assert_none_equal(
            deltas, array_ops.zeros_like(deltas), message="Requires delta != 0"
        )
        span = math_ops.cast(limits - starts, dtypes.float64)
        step = math_ops.cast(deltas, dtypes.float64)
        sizes = math_ops.cast(math_ops.maximum(math_ops.ceil(span / step), 0.0), row_splits_dtype)
        with control_dependencies([check]):
            sizes = array_ops.identity(sizes)
        splits = array_ops.concat(
            [array_ops.zeros([1], row_splits_dtype), math_ops.cumsum(sizes)], 0
        )
        rows = row_splits_to_segment_ids(splits)
        offsets = math_ops.cast(
            array_ops.range(array_ops.size(rows, out_type=dtypes.int64), dtype=dtypes.int64)
            - array_ops.gather(math_ops.cast(splits, dtypes.int64), rows),
            starts.dtype,
        )
        values = array_ops.gather(starts, rows) + array_ops.gather(deltas, rows) * offsets
        return RaggedTensor.from_row_splits(values, splits, validate=False)


def boolean_mask(data, mask, name=None):
    """The entries of `data` where `mask` is True, keeping the row structure: for `mask` of
    rank 2 (or a RaggedTensor), row `i` of the result holds the kept entries of row `i`.

    Args:
      data: a Tensor or a RaggedTensor.
      mask: a bool Tensor whose shape is a prefix of `data`'s (or a RaggedTensor with the
        same row splits as `data`).
      name: a name scope.

    Returns:
      `data[mask]` for a 1-D mask; otherwise a RaggedTensor with one fewer uniform dim.
    """
    with name_scope(name, "RaggedMask", [data, mask]):
        if isinstance(mask, RaggedTensor):
            if not isinstance(data, RaggedTensor):
                raise ValueError("A ragged mask needs ragged data with the same row splits.")
            kept = array_ops.boolean_mask(data.values, mask.values)
            rows = array_ops.shape(mask.row_splits)[0] - 1
            lengths = math_ops.unsorted_segment_sum(
                math_ops.cast(mask.values, dtypes.int64),
                row_splits_to_segment_ids(mask.row_splits),
                rows,
            )
            return RaggedTensor.from_row_lengths(kept, lengths, validate=False)
        data = convert_to_tensor(data, name="data")
        mask = convert_to_tensor(mask, dtype=dtypes.bool, name="mask")
        if mask.shape.ndims == 1:
            return array_ops.boolean_mask(data, mask)
        if mask.shape.ndims != 2:
            raise ValueError(f"mask must have rank 1 or 2 (or be ragged), got {mask.shape}")
        lengths = math_ops.reduce_sum(math_ops.cast(mask, dtypes.int64), axis=1)
        return RaggedTensor.from_row_lengths(
            array_ops.boolean_mask(data, mask), lengths, validate=False
        )


def stack_dynamic_partitions(data, partitions, num_partitions, name=None):
    """The entries of `data` grouped by partition: row `p` of the RaggedTensor holds
    `data[partitions == p]`, in their original order.

    Example:
      >>> tf.ragged.stack_dynamic_partitions(["a", "b", "c", "d"], [3, 0, 3, 1], 4)
      ... # [[b"b"], [b"d"], [], [b"a", b"c"]]
    """
    with name_scope(name, "SegmentStack", [data, partitions, num_partitions]):
        data = convert_to_tensor(data, name="data")
        partitions = convert_to_tensor(partitions, name="partitions")
        partitions = math_ops.cast(partitions, dtypes.int32)
        check = check_ops.assert_less(
            partitions,
            math_ops.cast(num_partitions, dtypes.int32),
            message="partitions must be less than num_partitions",
        )
        with control_dependencies([check]):
            order = array_ops.argsort(partitions, stable=True)
        lengths = math_ops.bincount(
            partitions, minlength=num_partitions, maxlength=num_partitions, dtype=dtypes.int64
        )
        return RaggedTensor.from_row_lengths(array_ops.gather(data, order), lengths, validate=False)
