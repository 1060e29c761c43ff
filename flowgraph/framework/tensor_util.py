"""`tf.make_tensor_proto` and `tf.make_ndarray`: numpy values to and from TensorProtos."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes, graph_def
from flowgraph.ops.constant_op import to_numpy


def make_tensor_proto(values, dtype=None, shape=None, verify_shape=False, allow_broadcast=False):
    """A `TensorProto` holding `values` (converted to `dtype`, shaped as `shape`).

    A single value fills `shape`; otherwise the values must have exactly `shape`'s size
    (and, with `verify_shape`, its shape).

    Example:
      >>> proto = tf.make_tensor_proto([1.0, 2.0])
      >>> tf.make_ndarray(proto)   # array([1., 2.], dtype=float32)
    """
    array = to_numpy(values, dtypes.as_dtype(dtype) if dtype is not None else None)
    if shape is None:
        return graph_def.make_tensor_proto(array)
    shape = [int(d) for d in shape]
    if verify_shape and list(array.shape) != shape:
        raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, but got {array.shape}.")
    size = int(np.prod(shape, dtype=np.int64))
    if allow_broadcast or array.size == 1:
        array = np.broadcast_to(array, shape) if array.size != size else array.reshape(shape)
    elif array.size != size:
        raise ValueError(
            f"Too many elements provided. Takes at most {size}, but got {array.size}."
            if array.size > size
            else f"Expected {size} elements, got {array.size}."
        )
    return graph_def.make_tensor_proto(np.ascontiguousarray(array).reshape(shape))


def make_ndarray(tensor) -> np.ndarray:
    """The numpy array a `TensorProto` holds."""
    return graph_def.make_ndarray(tensor)
