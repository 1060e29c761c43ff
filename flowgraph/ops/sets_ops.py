"""`tf.sets`: set operations along the last dimension of dense tensors or SparseTensors.

Each position of the leading dimensions holds one set (its row's values); results are
SparseTensors whose rows list the resulting sets in sorted order.
"""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

_VALID_DTYPES = frozenset(
    (
        dtypes.int8,
        dtypes.int16,
        dtypes.int32,
        dtypes.int64,
        dtypes.uint8,
        dtypes.uint16,
        dtypes.string,
    )
)
for _op_type in (
    "DenseToDenseSetOperation",
    "DenseToSparseSetOperation",
    "SparseToSparseSetOperation",
    "SetSize",
):
    no_gradient(_op_type)  # integer or string sets (TF: NotDifferentiable)
del _op_type


def _convert(value, name: str):
    if isinstance(value, SparseTensor):
        return value
    if hasattr(value, "dense_shape"):  # a SparseTensorValue
        return SparseTensor.from_value(value)
    return convert_to_tensor(value, name=name)


def _values_dtype(x):
    return (x.values if isinstance(x, SparseTensor) else x).dtype.base_dtype


def _check_dtype(x) -> None:
    if _values_dtype(x) not in _VALID_DTYPES:
        raise TypeError(f"Invalid dtype {_values_dtype(x)!r}.")


def _pair(a, b):
    """`a` and `b` converted, dense first (TF flips a sparse `a` with a dense `b`)."""
    a, b = _convert(a, "a"), _convert(b, "b")
    if _values_dtype(a) != _values_dtype(b):
        raise TypeError(f"Types don't match, {_values_dtype(a)!r} vs {_values_dtype(b)!r}.")
    _check_dtype(a)
    if isinstance(a, SparseTensor) and not isinstance(b, SparseTensor):
        return b, a, True
    return a, b, False


def _set_operation(a, b, set_operation: str, validate_indices: bool) -> SparseTensor:
    attrs = dict(
        set_operation=set_operation,
        validate_indices=bool(validate_indices),
        T=_values_dtype(a).numpy_dtype,
    )
    if isinstance(a, SparseTensor):
        inputs = [a.indices, a.values, a.dense_shape, b.indices, b.values, b.dense_shape]
        out = apply_op("SparseToSparseSetOperation", inputs, **attrs)
    elif isinstance(b, SparseTensor):
        out = apply_op(
            "DenseToSparseSetOperation", [a, b.indices, b.values, b.dense_shape], **attrs
        )
    else:
        out = apply_op("DenseToDenseSetOperation", [a, b], **attrs)
    return SparseTensor(*out)


def set_size(a, validate_indices=True):
    """The number of unique elements along the last dimension of the SparseTensor `a`.

    Returns an int32 tensor of `a`'s shape without its last dimension.
    """
    a = _convert(a, "a")
    if not isinstance(a, SparseTensor):
        raise TypeError(f"Expected `SparseTensor`, got {a}.")
    _check_dtype(a)
    return apply_op(
        "SetSize",
        [a.indices, a.values, a.dense_shape],
        validate_indices=bool(validate_indices),
        T=_values_dtype(a).numpy_dtype,
    )


def set_intersection(a, b, validate_indices=True) -> SparseTensor:
    """The intersection of the sets in the last dimension of `a` and `b`.

    Example:
      >>> tf.sets.intersection([[1, 2, 3], [4, 5, 6]], [[2, 3, 7], [9, 9, 9]])
      # SparseTensor of [[2, 3], []]
    """
    a, b, _ = _pair(a, b)
    return _set_operation(a, b, "intersection", validate_indices)


def set_difference(a, b, aminusb=True, validate_indices=True) -> SparseTensor:
    """`a - b` (or `b - a` when not `aminusb`) for the sets in the last dimension."""
    a, b, flipped = _pair(a, b)
    if flipped:
        aminusb = not aminusb
    return _set_operation(a, b, "a-b" if aminusb else "b-a", validate_indices)


def set_union(a, b, validate_indices=True) -> SparseTensor:
    """The union of the sets in the last dimension of `a` and `b`."""
    a, b, _ = _pair(a, b)
    return _set_operation(a, b, "union", validate_indices)
