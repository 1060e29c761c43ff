"""Index manipulation ops (`tf.roll`, `tf.repeat`, `tf.searchsorted`, `tf.diag`,
`tf.unravel_index`, `tf.invert_permutation`, `tf.ensure_shape`, `tf.where_v2`, ...)."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.tensor_shape import as_shape
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.array_ops import _index_tensor, _tensor_scatter
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

for _op_type in ("LowerBound", "UpperBound", "UnravelIndex", "InvertPermutation"):
    no_gradient(_op_type)  # integer outputs (TF: NotDifferentiable)
del _op_type


def roll(input, shift, axis, name=None) -> Tensor:
    """Rolls the elements of `input` by `shift` places along each of `axis`.

    Elements shifted past the last position come back at the first. `shift` and `axis`
    are scalars or equal-length vectors; an axis given twice rolls by the sum.

    Example:
      >>> tf.roll([0, 1, 2, 3, 4], shift=2, axis=0)   # [3, 4, 0, 1, 2]
    """
    input = convert_to_tensor(input)
    shift, axis = _index_tensor(shift, "shift"), _index_tensor(axis, "axis")
    return apply_op(
        "Roll",
        [input, shift, axis],
        name=name,
        T=input.dtype.base_dtype.numpy_dtype,
        Tshift=shift.dtype.numpy_dtype,
        Taxis=axis.dtype.numpy_dtype,
    )


def searchsorted(sorted_sequence, values, side="left", out_type=dtypes.int32, name=None):
    """Where `values` would go in `sorted_sequence` (sorted along its last dimension).

    Args:
      sorted_sequence: N-D tensor, sorted along the innermost dimension.
      values: N-D tensor with the same leading dimensions.
      side: "left" (the first index where the value fits, `LowerBound`) or "right" (the
        last, `UpperBound`).
      out_type: int32 or int64.
    """
    if side not in ("left", "right"):
        raise ValueError(f"side must be either 'right' or 'left'.  Saw: {side}.")
    with name_scope(name, "searchsorted", [sorted_sequence, values]):
        seq = convert_to_tensor(sorted_sequence)
        values = convert_to_tensor(values, dtype=seq.dtype.base_dtype)
        seq_2d = array_ops.reshape(seq, [-1, array_ops.shape(seq)[-1]])
        values_2d = array_ops.reshape(values, [-1, array_ops.shape(values)[-1]])
        op_type = "LowerBound" if side == "left" else "UpperBound"
        out = apply_op(
            op_type,
            [seq_2d, values_2d],
            T=seq.dtype.base_dtype.numpy_dtype,
            out_type=dtypes.as_dtype(out_type).numpy_dtype,
        )
        return array_ops.reshape(out, array_ops.shape(values))


def repeat(input, repeats, axis=None, name=None) -> Tensor:
    """Repeats each element of `input` `repeats` times along `axis` (flattened when None).

    Example:
      >>> tf.repeat([[1, 2], [3, 4]], repeats=[2, 3], axis=0)
      # [[1, 2], [1, 2], [3, 4], [3, 4], [3, 4]]
    """
    with name_scope(name, "Repeat", [input, repeats]):
        input = convert_to_tensor(input)
        if axis is None:
            input, axis = array_ops.reshape(input, [-1]), 0
        repeats = math_ops.cast(convert_to_tensor(repeats), dtypes.int32)
        length = array_ops.shape(input)[axis : axis + 1 if axis != -1 else None]
        ends = math_ops.cumsum(array_ops.broadcast_to(array_ops.reshape(repeats, [-1]), length))
        positions = array_ops.range(array_ops.reshape(ends[-1:], []))
        index = searchsorted(ends, positions, side="right")
        return array_ops.gather(input, index, axis=axis)


def diag(diagonal, name=None) -> Tensor:
    """A tensor of rank 2k with `diagonal` (rank k) on its diagonal and zeros elsewhere.

    `output[i1, ..., ik, i1, ..., ik] = diagonal[i1, ..., ik]`.
    """
    diagonal = convert_to_tensor(diagonal, name="diagonal")
    return apply_op("Diag", [diagonal], name=name, T=diagonal.dtype.base_dtype.numpy_dtype)


def diag_part(input, name=None) -> Tensor:
    """The diagonal of a rank-2k tensor: `output[i1, ..., ik] = input[i1, ..., ik, i1, ..., ik]`."""
    input = convert_to_tensor(input, name="input")
    return apply_op("DiagPart", [input], name=name, T=input.dtype.base_dtype.numpy_dtype)


def unravel_index(indices, dims, name=None) -> Tensor:
    """The coordinates of flat `indices` in an array of shape `dims` (one row per dim)."""
    indices = _index_tensor(indices, "indices")
    dims = convert_to_tensor(dims, dtype=indices.dtype.base_dtype)
    return apply_op("UnravelIndex", [indices, dims], name=name, Tidx=indices.dtype.numpy_dtype)


def invert_permutation(x, name=None) -> Tensor:
    """The inverse of the permutation `x`: `y[x[i]] = i`."""
    x = _index_tensor(x, "x")
    return apply_op("InvertPermutation", [x], name=name, T=x.dtype.numpy_dtype)


def ensure_shape(x, shape, name=None) -> Tensor:
    """`x`, checked at run time to have a shape compatible with `shape`.

    The static shape of the result merges both. Raises `InvalidArgumentError` when run with
    an incompatible value and ValueError when the shapes are already known to conflict.
    """
    x = convert_to_tensor(x)
    shape = as_shape(shape)
    dims = None if shape.ndims is None else tuple(shape.as_list())
    return apply_op("EnsureShape", [x], name=name, shape=dims, T=x.dtype.base_dtype.numpy_dtype)


def where_v2(condition, x=None, y=None, name=None) -> Tensor:
    """With `x` and `y`: elements of `x` where `condition`, else of `y`, all three
    broadcast together (TF2's `where`). With neither: the coordinates of true elements."""
    if x is None and y is None:
        return array_ops.where(condition, name=name)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    condition = convert_to_tensor(condition, dtype=dtypes.bool)
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype=x.dtype.base_dtype)
    return apply_op("SelectV2", [condition, x, y], name=name, T=x.dtype.base_dtype.numpy_dtype)


def batch_gather(params, indices, name=None) -> Tensor:
    """Gathers per batch: `output[b, ..., i] = params[b, ..., indices[b, ..., i]]`."""
    with name_scope(name, "BatchGather", [params, indices]):
        indices = convert_to_tensor(indices)
        if indices.shape.ndims is None:
            raise ValueError("batch_gather does not allow indices with unknown shape.")
        params = convert_to_tensor(params)
        return array_ops.gather(
            params, indices, axis=indices.shape.ndims - 1, batch_dims=indices.shape.ndims - 1
        )


def parallel_stack(values, name="parallel_stack") -> Tensor:
    """Stacks rank-R tensors of one shape into a rank-(R+1) tensor along a new first axis.

    TF computes it with `ParallelConcat`, which copies inputs as they become ready; under a
    compiled segment that ordering does not exist, so it is the same as `tf.stack`.
    """
    return array_ops.stack(values, axis=0, name=name)


def tensor_scatter_nd_max(tensor, indices, updates, name=None) -> Tensor:
    """A copy of `tensor` with each slice at `indices` the maximum of itself and `updates`."""
    return _tensor_scatter("TensorScatterMax", tensor, indices, updates, name)


def tensor_scatter_nd_min(tensor, indices, updates, name=None) -> Tensor:
    """A copy of `tensor` with each slice at `indices` the minimum of itself and `updates`."""
    return _tensor_scatter("TensorScatterMin", tensor, indices, updates, name)
