"""String ops (host kernels): `as_string`, `string_join`."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.ops.constant_op import convert_to_tensor


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",
              name=None) -> Tensor:
    """Each element of `input` formatted as a string (TF's printf-style rules)."""
    input = convert_to_tensor(input)
    if input.dtype.base_dtype == dtypes.string:
        raise TypeError("Value passed to parameter 'input' has DataType string not in list "
                        "of allowed values (op 'AsString')")
    return apply_op("AsString", [input], name=name, precision=precision,
                    scientific=scientific, shortest=shortest, width=width, fill=fill,
                    T=input.dtype.numpy_dtype)


def string_join(inputs, separator="", name=None) -> Tensor:
    """Joins string tensors elementwise (with broadcasting of scalars)."""
    tensors = [convert_to_tensor(x, dtype=dtypes.string) for x in inputs]
    return apply_op("StringJoin", tensors, name=name, separator=separator, N=len(tensors))
