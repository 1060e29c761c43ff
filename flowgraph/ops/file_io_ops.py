"""File ops (host kernels): read a whole file, write one, list the files matching a glob."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Operation, Tensor, apply_op
from flowgraph.ops.constant_op import convert_to_tensor


def read_file(filename, name=None) -> Tensor:
    """The whole contents of the file `filename` (a string scalar); NotFoundError if it
    does not exist.

    Example:
      >>> image = tf.image.decode_png(tf.read_file("cat.png"))
    """
    return apply_op("ReadFile", [convert_to_tensor(filename, dtypes.string)], name=name)


def write_file(filename, contents, name=None) -> Operation:
    """An op that writes `contents` to the file `filename` (creating its directory)."""
    filename = convert_to_tensor(filename, dtypes.string)
    contents = convert_to_tensor(contents, dtypes.string)
    return apply_op("WriteFile", [filename, contents], name=name)


def matching_files(pattern, name=None) -> Tensor:
    """The sorted names of the files matching the glob `pattern` (a scalar or vector of
    patterns): `*`, `?` and `[...]` within one path component."""
    return apply_op("MatchingFiles", [convert_to_tensor(pattern, dtypes.string)], name=name)
