"""Ragged tensor factories and helpers: `tf.ragged.constant`, `constant_value`,
`map_flat_values` and the conversions between row splits and segment ids."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor
from flowgraph.framework.ragged_tensor import (
    RaggedTensor,
    RaggedTensorValue,
    is_ragged,
    splits_to_rowids,
)
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import constant as _dense_constant, convert_to_tensor


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=dtypes.int64):  # fmt: skip
    """A RaggedTensor (or a Tensor, if nothing is ragged) holding the nested list `pylist`.

    Dims 1..ragged_rank are ragged (default: all but the scalars' and `inner_shape`'s);
    `inner_shape` gives the uniform shape of each innermost value.

    Example:
      >>> tf.ragged.constant([[1, 2], [], [3]])   # 3 rows of lengths 2, 0, 1
    """
    splits_dtype = dtypes.as_dtype(row_splits_dtype)

    def ragged(values, splits):
        splits = _dense_constant(splits, splits_dtype, name="row_splits")
        return RaggedTensor.from_row_splits(values, splits, validate=False)

    def dense(values, dtype, shape):
        return _dense_constant(values, dtype, shape, name="values")

    with name_scope(name, "RaggedConstant"):
        return _from_pylist(ragged, dense, pylist, dtype, ragged_rank, inner_shape)


def constant_value(pylist, dtype=None, ragged_rank=None, inner_shape=None,
                   row_splits_dtype="int64"):  # fmt: skip
    """`constant` as a RaggedTensorValue (numpy arrays, no graph)."""
    splits_dtype = dtypes.as_dtype(row_splits_dtype).numpy_dtype

    def ragged(values, splits):
        return RaggedTensorValue(values, np.asarray(splits, splits_dtype))

    def dense(values, dtype, shape):
        dtype = None if dtype is None else dtypes.as_dtype(dtype).numpy_dtype
        array = np.array(values, dtype=dtype)
        return array if shape is None else array.reshape(shape)

    return _from_pylist(ragged, dense, pylist, dtype, ragged_rank, inner_shape)


def _from_pylist(ragged, dense, pylist, dtype, ragged_rank, inner_shape):
    """TF's `_constant_value`: checks the nesting, then peels `ragged_rank` list levels into
    row splits, innermost last, and hands the rest to `dense`."""
    if is_ragged(pylist):
        raise TypeError("pylist may not be a RaggedTensor or RaggedTensorValue.")
    if not _is_list(pylist):
        if ragged_rank not in (None, 0) or inner_shape:
            raise ValueError(
                f"Invalid pylist={pylist!r}: incompatible with ragged_rank or inner_shape"
            )
        return dense(pylist, dtype, ())
    if ragged_rank is not None and ragged_rank < 0:
        raise ValueError(f"Invalid ragged_rank={ragged_rank!r}: must be nonnegative")
    scalar_depth, max_depth = _depths(pylist)
    if scalar_depth is not None and max_depth > scalar_depth:
        raise ValueError(
            f"Invalid pylist={pylist!r}: empty list nesting is greater than scalar value nesting"
        )
    if inner_shape is not None and ragged_rank is not None:
        expected = ragged_rank + len(inner_shape) + 1
        if (scalar_depth is not None and expected != scalar_depth) or (
            scalar_depth is None and expected < max_depth
        ):
            raise ValueError(
                f"Invalid pylist={pylist!r}: incompatible with ragged_rank={ragged_rank} and "
                f"dim(inner_shape)={len(inner_shape)}"
            )
    if ragged_rank == 0 or (
        ragged_rank is None
        and (max_depth < 2 or (inner_shape is not None and max_depth - len(inner_shape) < 2))
    ):
        return dense(pylist, dtype, inner_shape)
    if inner_shape is None:
        inner_shape = () if ragged_rank is None else _inner_shape(pylist, ragged_rank)
    if ragged_rank is None:
        depth = max_depth if scalar_depth is None else scalar_depth - len(inner_shape)
        ragged_rank = max(1, depth - 1)
    nested_splits, values = [], pylist
    for _ in range(ragged_rank):
        nested_splits.append(np.cumsum([0] + [len(row) for row in values]))
        values = [v for row in values for v in row]
    result = dense(values, dtype, (len(values), *inner_shape))
    for splits in reversed(nested_splits):
        result = ragged(result, splits)
    return result


def _is_list(value) -> bool:
    return isinstance(value, (list, tuple)) or np.ndim(value) != 0


def _depths(pylist) -> tuple:
    """(depth of the scalars or None if there are none, depth of the deepest list)."""
    if not _is_list(pylist):
        return 0, 0
    scalar_depth, max_depth = None, 1
    for child in pylist:
        child_scalar, child_max = _depths(child)
        if child_scalar is not None:
            if scalar_depth is not None and scalar_depth != child_scalar + 1:
                raise ValueError("all scalar values must have the same nesting depth")
            scalar_depth = child_scalar + 1
        max_depth = max(max_depth, child_max + 1)
    return scalar_depth, max_depth


def _inner_shape(pylist, ragged_rank: int) -> tuple:
    """The uniform shape of the values below `ragged_rank` list levels."""
    values = pylist
    for dim in range(ragged_rank):
        if not all(_is_list(v) for v in values):
            raise ValueError(
                f"pylist has scalar values depth {dim + 1}, but ragged_rank={ragged_rank} "
                f"requires scalar value depth greater than {ragged_rank}"
            )
        values = [v for row in values for v in row]
    shape = _first_shape(values)
    _check_shape(values, shape)
    return shape[1:]


def _first_shape(item) -> tuple:
    """The shape of `item` judged by its first elements only."""
    if not _is_list(item):
        return ()
    return (len(item), *_first_shape(item[0])) if len(item) else (0,)


def _check_shape(item, shape: tuple) -> None:
    if _is_list(item) != bool(shape) or (shape and shape[0] != len(item)):
        raise ValueError("inner values have inconsistent shape")
    for child in item if shape else ():
        _check_shape(child, shape[1:])


def map_flat_values(op, *args, **kwargs):
    """`op` applied to the flat values of the ragged arguments (which must share their row
    partitions), the result carrying the first ragged argument's partitions."""
    ragged = [a for a in list(args) + list(kwargs.values()) if isinstance(a, RaggedTensor)]
    if not ragged:
        return op(*args, **kwargs)
    flat = lambda a: a.flat_values if isinstance(a, RaggedTensor) else a  # noqa: E731
    result = op(*[flat(a) for a in args], **{k: flat(v) for k, v in kwargs.items()})
    return ragged[0].with_flat_values(result)


def row_splits_to_segment_ids(splits, name=None, out_type=None) -> Tensor:
    """The row of each value given row `splits`: `[0, 2, 2, 3]` -> `[0, 0, 2]`."""
    with name_scope(name, "RaggedSplitsToSegmentIds", [splits]):
        splits = convert_to_tensor(splits, dtypes.int64, name="splits")
        ids = splits_to_rowids(splits)
        return ids if out_type is None else math_ops.cast(ids, out_type)


def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """The row splits for sorted `segment_ids`: `[0, 0, 2]` -> `[0, 2, 2, 3]`."""
    with name_scope(name, "SegmentIdsToRaggedSplits", [segment_ids]):
        ids = convert_to_tensor(segment_ids, dtypes.int64, name="segment_ids")
        values = array_ops.zeros_like(ids)
        rt = RaggedTensor.from_value_rowids(values, ids, num_segments, validate=False)
        splits = rt.row_splits
        return splits if out_type is None else math_ops.cast(splits, out_type)
