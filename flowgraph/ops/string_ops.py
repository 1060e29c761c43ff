"""String ops (host kernels): `as_string`, `string_join`."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.ops.constant_op import convert_to_tensor


def as_string(
    input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None
) -> Tensor:
    """Each element of `input` formatted as a string (TF's printf-style rules)."""
    input = convert_to_tensor(input)
    dtype = input.dtype.base_dtype
    if dtype == dtypes.string:
        raise TypeError(
            "Value passed to parameter 'input' has DataType string not in list "
            "of allowed values (op 'AsString')"
        )
    _check_format(dtype, precision, scientific, shortest, fill)
    return apply_op(
        "AsString",
        [input],
        name=name,
        precision=precision,
        scientific=scientific,
        shortest=shortest,
        width=width,
        fill=fill,
        T=input.dtype.numpy_dtype,
    )


def _check_format(dtype, precision, scientific, shortest, fill) -> None:
    # The checks TF's AsString kernel makes, made here when the op is built.
    if scientific and shortest:
        raise ValueError("AsString: cannot select both scientific and shortest notation")
    if len(fill) > 1:
        raise ValueError(f"AsString: fill string must be one or fewer characters, got {fill!r}")
    if fill and fill not in " +-0#":
        raise ValueError(f"AsString: fill argument not supported: {fill!r}")
    if not (dtype.is_floating or dtype.is_complex):
        if scientific or shortest:
            raise ValueError(
                f"AsString: scientific and shortest format not supported for datatype {dtype.name}"
            )
        if precision > -1:
            raise ValueError(f"AsString: precision not supported for datatype {dtype.name}")


def string_join(inputs, separator="", name=None) -> Tensor:
    """Joins string tensors elementwise (with broadcasting of scalars)."""
    tensors = [convert_to_tensor(x, dtype=dtypes.string) for x in inputs]
    return apply_op("StringJoin", tensors, name=name, separator=separator, N=len(tensors))
