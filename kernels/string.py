"""String kernels (host): converting numbers to strings and joining strings."""

from __future__ import annotations

import numpy as np

from kernels.array import merge_shapes
from kernels.registry import HOST, Spec, register

_STRING = np.dtype(object)


def _to_string_shape(specs, attrs, static_values):
    return [Spec(specs[0].shape, _STRING)]


@register("AsString", kind=HOST, shape=_to_string_shape)
def as_string(
    input,
    *,
    precision: int = -1,
    scientific: bool = False,
    shortest: bool = False,
    width: int = -1,
    fill: str = "",
):
    fmt = _format_spec(np.asarray(input).dtype, precision, scientific, shortest, width, fill)
    out = np.empty(np.shape(input), dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(np.asarray(input).reshape(-1)):
        flat[i] = _format_one(v, fmt).encode()
    return out


def _format_spec(dtype, precision, scientific, shortest, width, fill) -> str:
    # The printf format TF's AsString builds from its attrs.
    flags = "%" + (fill if fill else "") + (str(width) if width > -1 else "")
    if dtype.kind == "f" or dtype.kind == "c":
        prec = f".{precision}" if precision > -1 else ""
        return flags + prec + ("g" if shortest else "e" if scientific else "f")
    if dtype.kind == "b":
        return "bool"
    return flags + "d"


def _format_one(value, fmt: str) -> str:
    if fmt == "bool":
        return "true" if value else "false"
    if isinstance(value, (complex, np.complexfloating)):
        return "(" + (fmt % value.real) + "," + (fmt % value.imag) + ")"
    return fmt % value


def _join_shape(specs, attrs, static_values):
    # TF: scalars broadcast; all other inputs must have one shape (no general broadcasting).
    if all(s.shape == () for s in specs):
        return [Spec((), _STRING)]
    shape = merge_shapes((s.shape for s in specs if s.shape != ()), "shapes of the inputs")
    return [Spec(shape, _STRING)]


@register("StringJoin", kind=HOST, shape=_join_shape)
def string_join(*inputs, separator: str = ""):
    sep = separator.encode()
    arrays = [np.asarray(x, dtype=object) for x in inputs]
    shape = next((a.shape for a in arrays if a.ndim), ())
    for a in arrays:
        if a.ndim and a.shape != shape:
            raise ValueError(f"Input shapes do not match: {list(shape)} vs. {list(a.shape)}")
    arrays = [np.broadcast_to(a, shape) for a in arrays]
    out = np.empty(arrays[0].shape, dtype=object)
    flat_out = out.reshape(-1)
    flats = [a.reshape(-1) for a in arrays]
    for i in range(flat_out.size):
        flat_out[i] = sep.join(_as_bytes(f[i]) for f in flats)
    return out


def _as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()
