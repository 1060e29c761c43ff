"""Logging kernels: Print (TF1's `tf.Print`), StringFormat and PrintV2 (`tf.print`): host ops."""

from __future__ import annotations

import sys

import numpy as np

from kernels.registry import HOST, SIDE_EFFECTS, Spec, register
from kernels.shapes import same_as_first


@register("Print", kind=HOST, effects=SIDE_EFFECTS, shape=same_as_first)
def print_(input, *data, message: str = "", first_n: int = -1, summarize: int = 3, runs: int = 0):
    """`runs`: the node's earlier runs in the session; TF prints the first `first_n` (all
    if `first_n` < 0)."""
    if 0 <= first_n <= runs:
        return input
    text = message + "".join("[" + summarize_value(np.asarray(d), summarize) + "]" for d in data)
    print(text, file=sys.stderr, flush=True)
    return input


def summarize_value(array: np.ndarray, limit: int) -> str:
    """TF's `Tensor::SummarizeValue`: the first `limit` elements, nested by dimension."""
    flat = array.reshape(-1)
    limit = min(limit, flat.size) if limit >= 0 else flat.size
    if array.ndim == 0:
        text = " ".join(format_element(v) for v in flat[:limit])
    else:
        parts: list[str] = []
        _print_dim(0, array.shape, limit, flat, [0], parts)
        text = "".join(parts)
    return text + ("..." if limit < flat.size else "")


def _print_dim(dim, shape, limit, flat, index, out) -> None:
    # Mirrors TF's PrintOneDim so the brackets and "..." fall where TF puts them.
    if index[0] >= limit:
        return
    if dim == len(shape) - 1:
        for i in range(shape[dim]):
            if index[0] >= limit:
                if dim != 0:
                    out.append("...")
                return
            if i > 0:
                out.append(" ")
            out.append(format_element(flat[index[0]]))
            index[0] += 1
        return
    for _ in range(shape[dim]):
        opened = index[0] < limit
        if opened:
            out.append("[")
        _print_dim(dim + 1, shape, limit, flat, index, out)
        if index[0] < limit or opened:
            out.append("]")


def format_element(value) -> str:
    """One element as TF's StrCat prints it (floats shortest, bools 1/0, bytes C-escaped)."""
    if isinstance(value, bytes):
        return c_escape(value)
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (np.float64, float)):
        return _shortest(float(value), 15, 17, float)
    if isinstance(value, np.floating):  # float32, and half/bfloat16 widened to float as TF does
        return _shortest(np.float32(value), 6, 9, np.float32)
    return str(value)


def _shortest(value, digits: int, max_digits: int, parse) -> str:
    # TF's FloatToBuffer/DoubleToBuffer: %g with the type's DIG unless that does not round-trip.
    text = "%.*g" % (digits, value)
    if np.isnan(value) or parse(text) == value:
        return text
    return "%.*g" % (max_digits, value)


_ESCAPES = {
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
    ord('"'): '\\"',
    ord("'"): "\\'",
    ord("\\"): "\\\\",
}


def c_escape(data: bytes) -> str:
    """TF's `str_util::CEscape`: C escapes, octal for bytes outside printable ASCII."""
    return "".join(_ESCAPES.get(b) or (chr(b) if 0x20 <= b < 0x7F else "\\%03o" % b) for b in data)


def summarize_value_v2(array: np.ndarray, limit: int) -> str:
    """TF's `SummarizeValue(limit, print_v2=true)`: numpy-like, `limit` items at each end."""
    if array.ndim == 0:
        return _element_v2(array[()])
    if array.size == 0:
        return "[]"
    limit = array.size if limit < 0 else limit
    out: list[str] = []
    _print_dim_v2(array, 0, array.ndim, limit, out)
    return "".join(out)


def _print_dim_v2(array, dim, ndim, limit, out) -> None:
    # Mirrors TF's PrintOneDimV2 and PrintDimSpacing; `array` is the sub-array at depth `dim`.
    if dim == ndim:
        out.append(_element_v2(array[()] if isinstance(array, np.ndarray) else array))
        return
    count = array.shape[0]
    spacing = " " if dim == ndim - 1 else "\n" * (ndim - dim - 1) + " " * (dim + 1)
    shown = list(range(min(limit, count)))
    tail = list(range(max(limit, count - limit), count))
    out.append("[")
    for i in shown:
        if i > 0:
            out.append(spacing)
        _print_dim_v2(array[i], dim + 1, ndim, limit, out)
    if count > 2 * limit:
        out.append(spacing + "...")
    for i in tail:
        out.append(spacing)
        _print_dim_v2(array[i], dim + 1, ndim, limit, out)
    out.append("]")


def _element_v2(value) -> str:
    if isinstance(value, bytes):
        return '"' + c_escape(value) + '"'
    return format_element(value)


def _string_format_shape(specs, attrs, static_values):
    return [Spec((), np.dtype(object))]


@register("StringFormat", kind=HOST, shape=_string_format_shape)
def string_format(*inputs, template: str = "%s", placeholder: str = "%s", summarize: int = 3):
    pieces = template.split(placeholder)
    if len(pieces) != len(inputs) + 1:
        raise ValueError(
            f"num placeholders in template and num inputs must match: {len(pieces) - 1} vs. "
            f"{len(inputs)}"
        )
    text = pieces[0]
    for value, piece in zip(inputs, pieces[1:]):
        text += _format_input(np.asarray(value), summarize) + piece
    return np.asarray(text.encode(), dtype=object)


def _format_input(array: np.ndarray, summarize: int) -> str:
    if array.ndim == 0 and isinstance(array[()], bytes):  # a scalar string prints as is
        return array[()].decode(errors="replace")
    return summarize_value_v2(array, summarize)


@register("PrintV2", kind=HOST, effects=SIDE_EFFECTS, shape=lambda specs, attrs, static_values: [])
def print_v2(input, *, output_stream: str = "stderr", end: str = "\n") -> tuple:
    text = np.asarray(input)[()]
    text = (text.decode(errors="replace") if isinstance(text, bytes) else str(text)) + end
    if output_stream == "stdout":
        sys.stdout.write(text)
        sys.stdout.flush()
    elif output_stream.startswith("file://"):
        with open(output_stream[len("file://") :], "a") as f:
            f.write(text)
    else:  # stderr, and the log streams (absl's default handler writes to stderr)
        sys.stderr.write(text)
        sys.stderr.flush()
    return ()
