"""TF's `tensor_util`: `constant_value_as_shape` (the static part of a shape tensor's value),
`make_tensor_proto` and `make_ndarray` (numpy values to and from TensorProtos)."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes, graph_def, tensor_shape
from flowgraph.framework.ops import Tensor, constant_value
from flowgraph.ops.constant_op import to_numpy


def constant_value_as_shape(tensor: Tensor) -> tensor_shape.TensorShape:
    """The shape that the 1-D int `tensor` describes, as far as it is known at build time.

    Follows `Shape`, `Pack` of scalars, `ConcatV2` and slices of such vectors, and `Cast`,
    as TensorFlow's shape inference does, so `tf.zeros(tf.shape(x))` keeps `x`'s static dims.

    Example:
      >>> x = tf.placeholder(tf.float32, [None, 3])
      >>> constant_value_as_shape(tf.shape(x))   # TensorShape([None, 3])
    """
    dims = _dims(tensor)
    return tensor_shape.TensorShape(None if dims is None else list(dims))


def _dims(t: Tensor) -> tuple | None:
    """The vector's entries (None where unknown), or None when even its length is unknown."""
    value = constant_value(t)
    if value is not None:
        return tuple(None if d < 0 else int(d) for d in np.asarray(value).reshape(-1))
    op = t.op
    if op.type == "Shape":
        return op.inputs[0]._shape_tuple
    if op.type == "Cast":
        return _dims(op.inputs[0])
    if op.type == "Pack" and op.get_attr("axis") == 0:
        return tuple(_scalar(x) for x in op.inputs)
    if op.type == "ConcatV2" and _int(op.inputs[-1]) == 0:
        parts = [_dims(x) for x in op.inputs[:-1]]
        return None if any(p is None for p in parts) else sum(parts, ())
    if op.type == "StridedSlice":
        return _sliced(op)
    return None


def _scalar(t: Tensor) -> int | None:
    """A scalar's value if known; `shape[i]` of a partly known shape counts."""
    value = constant_value(t)
    if value is not None:
        return int(value) if int(value) >= 0 else None
    op = t.op
    if op.type == "StridedSlice" and op.get_attr("shrink_axis_mask") == 1:
        dims, begin = _dims(op.inputs[0]), _int(op.inputs[1])
        if dims is not None and begin is not None and -len(dims) <= begin < len(dims):
            return dims[begin]
    return None


def _sliced(op) -> tuple | None:
    """`dims[begin:end:stride]` of a vector with known length and constant bounds."""
    dims = _dims(op.inputs[0])
    begin, end, stride = (_int(x) for x in op.inputs[1:4])
    plain = all(op.get_attr(m) == 0 for m in ("ellipsis_mask", "new_axis_mask"))
    if dims is None or stride is None or not plain or op.get_attr("shrink_axis_mask"):
        return None
    begin = None if op.get_attr("begin_mask") & 1 else begin
    end = None if op.get_attr("end_mask") & 1 else end
    if (begin is None and not op.get_attr("begin_mask") & 1) or (
        end is None and not op.get_attr("end_mask") & 1
    ):
        return None
    return dims[begin:end:stride]


def _int(t: Tensor) -> int | None:
    value = constant_value(t)
    if value is None or np.size(value) != 1:
        return None
    return int(np.asarray(value).reshape(()))


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
