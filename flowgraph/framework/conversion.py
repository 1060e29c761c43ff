"""Conversions that keep `IndexedSlices`/`SparseTensor`, and static values of tensors."""

from __future__ import annotations

from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.ops import constant_value
from flowgraph.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowgraph.ops.constant_op import convert_to_tensor


def convert_to_tensor_or_indexed_slices(value, dtype=None, name=None):
    """Converts `value` to a `Tensor`, leaving an `IndexedSlices` as it is.

    Raises:
      ValueError: if an `IndexedSlices` does not have the requested `dtype`.
    """
    if isinstance(value, IndexedSlices):
        _check_dtype(value, dtype)
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def convert_to_tensor_or_sparse_tensor(value, dtype=None, name=None):
    """Converts `value` to a `Tensor` or a `SparseTensor` (from a `SparseTensorValue`)."""
    if isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        _check_dtype(value, dtype)
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def get_static_value(tensor, partial=False):
    """The value of `tensor` as a numpy array if it is known while building, else None.

    Example:
      >>> tf.get_static_value(tf.shape(tf.zeros([2, 3])))   # array([2, 3], dtype=int32)
    """
    return constant_value(convert_to_tensor(tensor))


def _check_dtype(value, dtype):
    if dtype is not None and not value.dtype.is_compatible_with(dtype):
        raise ValueError(
            f"Tensor conversion requested dtype {dtype.name} for Tensor with dtype "
            f"{value.dtype.name}: {value!r}"
        )
