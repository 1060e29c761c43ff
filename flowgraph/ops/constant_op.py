"""Constants and the conversion of Python values to tensors (`tf.constant`, `convert_to_tensor`)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Operation, Tensor, apply_op

_conversion_functions: list[tuple[type, Callable]] = []


def register_tensor_conversion_function(base_type, conversion_func, priority=100) -> None:
    """Lets `convert_to_tensor` accept objects of `base_type` (e.g. Variables)."""
    _conversion_functions.append((base_type, conversion_func))


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False) -> Tensor:
    """Creates a constant tensor (TF1 rules: Python floats become float32, ints int32).

    Args:
      value: a Python value or numpy array.
      dtype: the element type; inferred from `value` if None.
      shape: optional shape; a scalar or short value is broadcast / padded to fill it.
      name: the op name.
      verify_shape: if True, `value`'s shape must equal `shape`.

    Example:
      >>> tf.constant([1, 2, 3], shape=[2, 3])   # [[1, 2, 3], [3, 3, 3]]
    """
    dtype = dtypes.as_dtype(dtype) if dtype is not None else None
    array = to_numpy(value, dtype)
    if shape is not None:
        array = _fit_shape(array, tensor_shape.as_shape(shape).as_list(), verify_shape)
    return apply_op("Const", [], name=name, value=array, dtype=array.dtype)


def to_numpy(value, dtype: dtypes.DType | None) -> np.ndarray:
    """`value` as a numpy array with TF1's dtype inference and compatibility checks."""
    if isinstance(value, (Tensor, Operation)):
        raise TypeError(f"Expected a constant value, got a graph element {value!r}.")
    if value is None:
        raise ValueError("None values not supported.")
    if dtype is not None and dtype.base_dtype == dtypes.string:
        return _strings(value)
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind in "SU" or (array.dtype.kind == "O" and dtype is None):
            return _strings(value, dtype)
        # TF1 casts numpy values to a requested dtype without checks (unlike Python values),
        # and copies them: a caller's later change to its array does not reach the graph.
        return array.copy() if dtype is None else array.astype(dtype.base_dtype.numpy_dtype)
    try:
        array = np.asarray(value)
    except ValueError as e:  # ragged nested lists
        raise ValueError(
            f"Argument must be a dense tensor: {value!r} - got shape ?, but "
            f"wanted a rectangular value. ({e})"
        ) from None
    if array.dtype.kind in "SUO":
        return _strings(value, dtype)
    if dtype is not None:
        return _cast_checked(array, dtype, value)
    if array.dtype == np.float64:
        return array.astype(np.float32)
    if array.dtype == np.int64:
        narrow = array.astype(np.int32)
        return narrow if np.array_equal(narrow, array) else array
    return array


def _cast_checked(array: np.ndarray, dtype: dtypes.DType, value) -> np.ndarray:
    target, kind = dtype.base_dtype.numpy_dtype, array.dtype.kind
    lossy = (
        (kind in "fc" and target.kind in "iub")
        or (kind == "c" and target.kind == "f")
        or (target.kind == "b" and kind != "b")
    )
    if lossy and array.size:  # an empty list is float64 to numpy, but holds nothing lossy
        bad = _first_mismatch(value, target.kind)
        raise TypeError(
            f"Expected {dtype.base_dtype.name}, got {bad!r} of type '{type(bad).__name__}' instead."
        )
    out = array.astype(target)
    if array.dtype.kind in "iu" and target.kind in "iu" and not np.array_equal(out, array):
        raise TypeError(f"Value {value!r} does not fit in {dtype.base_dtype.name}.")
    return out


def _first_mismatch(value, kind: str):
    """The first element of a Python value that a `kind` dtype cannot hold (as TF names it)."""
    allowed = {
        "b": (bool, np.bool_),
        "i": (int, np.integer),
        "u": (int, np.integer),
        "f": (int, float, np.integer, np.floating),
    }.get(kind, ())
    for v in np.asarray(value, dtype=object).reshape(-1):
        if not isinstance(v, allowed):
            return v
    return value


def _strings(value, dtype: dtypes.DType | None = None) -> np.ndarray:
    if dtype is not None and dtype.base_dtype != dtypes.string:
        bad = np.asarray(value, dtype=object).reshape(-1)[0]
        raise TypeError(
            f"Expected {dtype.base_dtype.name}, got {bad!r} of type '{type(bad).__name__}' instead."
        )
    array = np.asarray(value, dtype=object)
    flat = array.reshape(-1)
    for i, v in enumerate(flat):
        if isinstance(v, str):
            flat[i] = v.encode("utf-8")
        elif not isinstance(v, bytes):
            raise TypeError(f"Expected string, got {v!r} of type '{type(v).__name__}' instead.")
    return array


def _fit_shape(array: np.ndarray, shape: list[int], verify: bool) -> np.ndarray:
    if None in shape:
        raise ValueError(f"A constant's shape must be fully defined, got {shape}")
    size = int(np.prod(shape, dtype=np.int64))
    if verify and list(array.shape) != shape:
        raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, got {array.shape}.")
    if array.size == size:
        return array.reshape(shape)
    if size == 0:
        return np.empty(shape, dtype=array.dtype)
    if array.size == 1:
        return np.full(shape, array.reshape(()), dtype=array.dtype)
    if array.size > size:
        raise ValueError(
            f"Too many elements provided. Needed at most {size}, but received {array.size}"
        )
    if array.size == 0:
        raise ValueError(f"Cannot fill a shape {shape} from an empty value")
    # TF1 pads a short value with its last element.
    flat = np.concatenate([array.reshape(-1), np.repeat(array.reshape(-1)[-1:], size - array.size)])
    return flat.reshape(shape)


def convert_to_tensor(
    value, dtype=None, name=None, preferred_dtype=None, dtype_hint=None
) -> Tensor:
    """Converts `value` (a Tensor, a registered object, or a Python/numpy value) to a Tensor.

    Raises:
      ValueError: `value` is a tensor whose dtype is not `dtype`.
      TypeError: `value` cannot be converted.
    """
    dtype = dtypes.as_dtype(dtype) if dtype is not None else None
    if isinstance(value, Tensor):
        return _checked(value, dtype)
    if isinstance(value, (list, tuple)):
        inferred = _first_tensor_dtype(value)
        if inferred is not None:
            if dtype is not None and dtype != inferred:
                value = _cast_tensors(value, dtype)
            return _autopacked(value, dtype or inferred, name or "packed")
    for base_type, fn in _conversion_functions:
        if isinstance(value, base_type):
            return _checked(fn(value, dtype=dtype, name=name), dtype)
    if isinstance(value, Operation):
        raise TypeError(
            f"Can't convert Operation '{value.name}' to Tensor "
            f"(target dtype={dtype}, name={name}, as_ref=False)"
        )
    hint = preferred_dtype or dtype_hint
    if dtype is None and hint is not None:
        try:
            return constant(value, dtypes.as_dtype(hint), name=name or "Const")
        except (TypeError, ValueError):
            pass  # the hint is only a preference
    return constant(value, dtype, name=name or "Const")


def _first_tensor_dtype(value) -> dtypes.DType | None:
    """The dtype of the first Tensor in nested lists `value` (depth first), or None."""
    for elem in value:
        if isinstance(elem, Tensor):
            return elem.dtype.base_dtype
        if isinstance(elem, (list, tuple)):
            found = _first_tensor_dtype(elem)
            if found is not None:
                return found
    return None


def _cast_tensors(value, dtype: dtypes.DType):
    """Nested lists `value` with each Tensor not of `dtype` cast to it."""
    from flowgraph.ops import math_ops  # math_ops imports this module

    return type(value)(
        _cast_tensors(e, dtype)
        if isinstance(e, (list, tuple))
        else math_ops.cast(e, dtype)
        if isinstance(e, Tensor) and e.dtype.base_dtype != dtype
        else e
        for e in value
    )


def _autopacked(value, dtype: dtypes.DType, name: str):
    """TF's autopacking: nested lists holding Tensors become one `Pack` per list level.

    The other elements become constants of `dtype`; a nested level without Tensors stays a
    Python list; a Tensor of another dtype is an error.
    """
    from flowgraph.framework.scopes import name_scope  # scopes import ops, as does this
    from flowgraph.ops import array_ops  # array_ops imports this module

    elems, must_pack = [], False
    with name_scope(name) as scope:
        for i, elem in enumerate(value):
            if isinstance(elem, (list, tuple)):
                elem = _autopacked(elem, dtype, str(i))
            elif isinstance(elem, Tensor) and elem.dtype.base_dtype != dtype:
                raise TypeError(
                    f"Cannot convert a list containing a tensor of dtype {elem.dtype} to "
                    f"{dtype} (Tensor is: {elem!r})"
                )
            must_pack |= isinstance(elem, Tensor)
            elems.append(elem)
        if not must_pack:
            return elems
        tensors = [
            e if isinstance(e, Tensor) else constant(e, dtype=dtype, name=str(i))
            for i, e in enumerate(elems)
        ]
        return array_ops.stack(tensors, name=scope)


def _checked(tensor: Tensor, dtype: dtypes.DType | None) -> Tensor:
    if dtype is not None and not dtype.is_compatible_with(tensor.dtype):
        raise ValueError(
            f"Tensor conversion requested dtype {dtype.name} for Tensor with "
            f"dtype {tensor.dtype.name}: {tensor!r}"
        )
    return tensor


def convert_n_to_tensor(values, dtype=None, name=None) -> list[Tensor]:
    """Converts each of `values` to a Tensor."""
    return [convert_to_tensor(v, dtype=dtype) for v in values]


def is_tensor(x: Any) -> bool:
    """Whether `x` is a Tensor."""
    return isinstance(x, Tensor)
