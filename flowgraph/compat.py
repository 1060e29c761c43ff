"""`tf.compat`: text/bytes conversion, number type groups, `compat.v1` (all of flowgraph).

Its names are exported by `flowgraph/export_table.py`; most are defined here. `v1` is
flowgraph itself, so `tf.compat.v1.placeholder is tf.placeholder`.
"""

from __future__ import annotations

import contextlib
import datetime
import numbers
import os
import sys

import numpy as np

from flowgraph.framework import tensor_shape

# Every flowgraph name is TF1's, so a TF2 program's `tf.compat.v1.X` is flowgraph's `X`.
v1 = sys.modules["flowgraph"]

bytes_or_text_types = (bytes, str)
complex_types = (numbers.Complex, np.number)
integral_types = (numbers.Integral, np.integer)
real_types = (numbers.Real, np.integer, np.floating)

# flowgraph writes TF 1.15's GraphDefs (producer 134): features newer than that release's
# forward-compatibility horizon are not assumed.
_HORIZON = datetime.date(2019, 10, 17)
_horizon = _HORIZON


def as_bytes(bytes_or_text, encoding="utf-8"):
    """Converts `bytearray`, `bytes`, or unicode python input types to `bytes`.

    Uses utf-8 encoding for text by default.

    Raises:
      TypeError: If `bytes_or_text` is not a binary or unicode string.
    """
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """Converts any string-like python input types to unicode (`str`).

    Raises:
      TypeError: If `bytes_or_text` is not a binary or unicode string.
    """
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_str(bytes_or_text, encoding="utf-8"):
    """`as_text`: the native string type of Python 3."""
    return as_text(bytes_or_text, encoding)


def as_str_any(value, encoding="utf-8"):
    """Converts `value` to `str`: bytes are decoded, anything else goes through `str()`."""
    return as_str(value, encoding) if isinstance(value, bytes) else str(value)


def path_to_str(path):
    """Returns the file system path representation of a `PathLike` object, else `path`."""
    return os.fspath(path) if isinstance(path, os.PathLike) else path


def dimension_value(dimension):
    """The int value of a `Dimension` (None if unknown), or `dimension` itself otherwise.

    Example:
      >>> tf.compat.dimension_value(tf.TensorShape([None, 3])[1])   # 3
    """
    return dimension.value if isinstance(dimension, tensor_shape.Dimension) else dimension


def dimension_at_index(shape, index):
    """The `Dimension` at `index` of `shape` (unknown if the rank is unknown).

    Example:
      >>> tf.compat.dimension_at_index(tf.TensorShape(None), 2)   # Dimension(None)
    """
    shape = tensor_shape.as_shape(shape)
    if shape.ndims is None:
        return tensor_shape.Dimension(None)
    return shape.dims[index]


def forward_compatible(year, month, day):
    """Whether graphs may use features whose forward-compatibility window ends on the date.

    True once the date is before flowgraph's horizon (TF 1.15's, or the date set by
    `forward_compatibility_horizon`).
    """
    return _horizon > datetime.date(year, month, day)


@contextlib.contextmanager
def forward_compatibility_horizon(year, month, day):
    """Context manager that moves the forward-compatibility horizon (for tests)."""
    global _horizon
    try:
        _horizon = datetime.date(year, month, day)
        yield
    finally:
        _horizon = _HORIZON
