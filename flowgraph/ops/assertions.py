"""The rest of TF1's `check_ops`: dtype checks, `assert_near`, `assert_rank_in`, monotonicity."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, constant_value
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.check_ops import Assert
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.control_flow_ops import no_op


def assert_integer(x, message=None, name=None):
    """Asserts that `x` is of integer dtype (checked while building: a NoOp, or TypeError)."""
    with name_scope(name, "assert_integer", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_integer:
            raise TypeError(f'{message or ""}  Expected "x" to be integer type.  Found: '
                            f"{x.name} of dtype {x.dtype}")  # fmt: skip
        return no_op("statically_determined_was_integer")


def assert_near(x, y, rtol=None, atol=None, data=None, summarize=None, message=None, name=None):
    """An Assert op checking `|x - y| < atol + rtol * |y|` element-wise.

    The tolerances default to 10 epsilons of `x`'s dtype.
    """
    with name_scope(name, "assert_near", [x, y, rtol, atol, data]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype.base_dtype)
        eps = np.finfo(x.dtype.base_dtype.as_numpy_dtype).eps
        rtol = 10 * eps if rtol is None else rtol
        atol = 10 * eps if atol is None else atol
        tolerance = math_ops.cast(atol, x.dtype) + math_ops.cast(rtol, x.dtype) * math_ops.abs(y)
        condition = math_ops.reduce_all(math_ops.less(math_ops.abs(x - y), tolerance))
        if data is None:
            data = [message or "", f"x and y not equal to tolerance rtol = {rtol}, atol = {atol}",
                    f"x ({x.name}) = ", x, f"y ({y.name}) = ", y]  # fmt: skip
        return Assert(condition, data, summarize=summarize)


def assert_proper_iterable(values):
    """Static assert that `values` is a "proper" iterable (not a Tensor, array or string).

    Raises:
      TypeError: if `values` is not iterable or is one of those.
    """
    if isinstance(values, (Tensor, SparseTensor, np.ndarray, bytes, str)):
        raise TypeError(f'Expected argument "values" to be a "proper" iterable.  Found: '
                        f"{type(values)}")  # fmt: skip
    if not hasattr(values, "__iter__"):
        raise TypeError(f'Expected argument "values" to be iterable.  Found: {type(values)}')


def assert_rank_in(x, ranks, data=None, summarize=None, message=None, name=None):
    """Asserts that `x` has a rank in `ranks`: ValueError now if the static rank is not,
    a NoOp if it is, else an Assert op."""
    with name_scope(name, "assert_rank_in", [x] + list(ranks) + list(data or [])):
        x = convert_to_tensor(x, name="x")
        ranks = [convert_to_tensor(r, name="rank") for r in ranks]
        static = [constant_value(r) for r in ranks]
        if x.shape.ndims is not None and all(s is not None for s in static):
            wanted = tuple(int(s) for s in static)
            if x.shape.ndims not in wanted:
                raise ValueError(
                    f"{message or ''}.  Tensor {x.name} must have rank in "
                    f"{wanted}.  Received rank {x.shape.ndims}, shape {x.shape}"
                )
            return no_op()  # fmt: skip
        rank = array_ops.rank(x)
        matches = [math_ops.equal(rank, math_ops.cast(r, dtypes.int32)) for r in ranks]
        if data is None:
            data = [message or "", f"Tensor {x.name} must have rank in", *ranks,
                    "Received shape: ", array_ops.shape(x)]  # fmt: skip
        return Assert(math_ops.reduce_any(array_ops.stack(matches)), data, summarize=summarize)


def assert_same_float_dtype(tensors=None, dtype=None):
    """Validates and returns the float dtype shared by `tensors` and `dtype` (default float32).

    Raises:
      ValueError: if the dtypes differ, or the common one is not floating point.
    """
    for tensor in tensors or []:
        if dtype is None:
            dtype = tensor.dtype.base_dtype
        elif tensor.dtype.base_dtype != dtypes.as_dtype(dtype).base_dtype:
            raise ValueError(f"{tensor.name}, type={tensor.dtype.name} must be of the same type "
                             f"({dtypes.as_dtype(dtype).name}).")  # fmt: skip
    if dtype is None:
        return dtypes.float32
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Expected floating point type, got {dtype}.")
    return dtype


def is_non_decreasing(x, name=None):
    """Whether `x` (flattened) is non-decreasing: `x[i] <= x[i + 1]` (True if size < 2)."""
    with name_scope(name, "is_non_decreasing", [x]):
        diff = _diff(x)
        return math_ops.reduce_all(math_ops.less_equal(array_ops.zeros_like(diff), diff))


def is_strictly_increasing(x, name=None):
    """Whether `x` (flattened) is strictly increasing: `x[i] < x[i + 1]` (True if size < 2)."""
    with name_scope(name, "is_strictly_increasing", [x]):
        diff = _diff(x)
        return math_ops.reduce_all(math_ops.less(array_ops.zeros_like(diff), diff))


def _diff(x):
    flat = array_ops.reshape(convert_to_tensor(x, name="x"), [-1])
    return flat[1:] - flat[:-1]
