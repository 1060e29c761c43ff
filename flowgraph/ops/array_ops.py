"""Array ops: placeholders, identity, shapes, reshape, stacking, slicing (`tf.*` names)."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.ops.constant_op import constant, convert_to_tensor, to_numpy
from flowgraph.ops.slicing import slice_spec

newaxis = None


def placeholder(dtype, shape=None, name=None) -> Tensor:
    """A tensor that must be fed in `Session.run`.

    Example:
      >>> x = tf.placeholder(tf.float32, shape=[None, 3])
      >>> sess.run(x * 2, {x: [[1, 2, 3]]})
    """
    dtype = dtypes.as_dtype(dtype)
    return apply_op("Placeholder", [], name=name, dtype=dtype.numpy_dtype,
                    shape=tensor_shape.as_shape(shape).as_tuple())


def placeholder_with_default(input, shape, name=None) -> Tensor:
    """Passes `input` through unless a value is fed; the fed value must fit `shape`."""
    input = convert_to_tensor(input)
    shape = tensor_shape.as_shape(shape)
    if not shape.is_compatible_with(input.shape):
        raise ValueError(f"Shapes {input.shape} and {shape} are incompatible")
    return apply_op("PlaceholderWithDefault", [input], name=name, dtype=input.dtype.numpy_dtype,
                    shape=shape.as_tuple())


def identity(input, name=None) -> Tensor:
    """Returns a tensor with the same value as `input`."""
    return apply_op("Identity", [convert_to_tensor(input)], name=name)


def reshape(tensor, shape, name=None) -> Tensor:
    """Reshapes `tensor` to `shape` (one entry may be -1)."""
    tensor = convert_to_tensor(tensor)
    return apply_op("Reshape", [tensor, _shape_tensor(shape)], name=name)


def _shape_tensor(shape) -> Tensor:
    if isinstance(shape, Tensor):
        return shape
    if isinstance(shape, tensor_shape.TensorShape):
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)) and any(isinstance(d, Tensor) for d in shape):
        return stack([convert_to_tensor(d, dtype=dtypes.int32) for d in shape])
    return constant(shape, dtype=dtypes.int32)


def shape(input, name=None, out_type=dtypes.int32) -> Tensor:
    """The shape of `input` as a 1-D integer tensor."""
    return apply_op("Shape", [convert_to_tensor(input)], name=name,
                    out_type=dtypes.as_dtype(out_type).numpy_dtype)


def size(input, name=None, out_type=dtypes.int32) -> Tensor:
    """The number of elements of `input`."""
    return apply_op("Size", [convert_to_tensor(input)], name=name,
                    out_type=dtypes.as_dtype(out_type).numpy_dtype)


def rank(input, name=None) -> Tensor:
    """The number of dimensions of `input`."""
    return apply_op("Rank", [convert_to_tensor(input)], name=name)


def expand_dims(input, axis=None, name=None, dim=None) -> Tensor:
    """Inserts a dimension of size 1 at `axis` (TF1 also accepts `dim`)."""
    if axis is None:
        if dim is None:
            raise ValueError("Must specify an axis argument to tf.expand_dims()")
        axis = dim
    elif dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    return apply_op("ExpandDims", [convert_to_tensor(input), convert_to_tensor(axis)], name=name)


def range(start, limit=None, delta=1, dtype=None, name="range") -> Tensor:  # noqa: A001
    """A sequence of numbers from `start` up to `limit` by `delta` (like Python's range)."""
    if limit is None:
        start, limit = 0, start
    values = [start, limit, delta]
    if dtype is None:
        inferred = [v.dtype if isinstance(v, Tensor) else constant_dtype(v) for v in values]
        order = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)
        dtype = max(inferred, key=order.index)
    dtype = dtypes.as_dtype(dtype)
    tensors = [_cast_to(v, dtype) for v in values]
    return apply_op("Range", tensors, name=name, Tidx=dtype.numpy_dtype)


def constant_dtype(value) -> dtypes.DType:
    """The dtype `tf.constant(value)` would have (Python ints int32 or int64, floats float32)."""
    return dtypes.as_dtype(to_numpy(value, None).dtype)


def _cast_to(value, dtype: dtypes.DType) -> Tensor:
    if isinstance(value, Tensor):
        if value.dtype.base_dtype == dtype:
            return value
        from flowgraph.ops.math_ops import cast

        return cast(value, dtype)
    return constant(value, dtype=dtype)


def stack(values, axis=0, name="stack") -> Tensor:
    """Stacks rank-R tensors into one rank-(R+1) tensor along `axis`."""
    tensors = [convert_to_tensor(v) for v in values]
    tensors = [tensors[0]] + [convert_to_tensor(t, dtype=tensors[0].dtype) for t in tensors[1:]]
    rank_ = len(tensors[0].shape) if tensors[0].shape.ndims is not None else None
    if rank_ is not None and not -rank_ - 1 <= axis <= rank_:
        raise ValueError(f"axis = {axis} not in [{-rank_ - 1}, {rank_ + 1})")
    return apply_op("Pack", tensors, name=name, axis=int(axis), N=len(tensors))


def transpose(a, perm=None, name="transpose", conjugate=False) -> Tensor:
    """Permutes the dimensions of `a` by `perm` (default: reversed, a matrix transpose).

    Example:
      >>> tf.transpose(tf.ones([2, 3]))   # shape (3, 2)
    """
    a = convert_to_tensor(a)
    if conjugate and a.dtype.is_complex:
        raise NotImplementedError("tf.transpose(conjugate=True) of complex tensors")
    if perm is None:
        if a.shape.ndims is not None:
            perm = np.arange(a.shape.ndims - 1, -1, -1, dtype=np.int32)
        else:
            perm = range(rank(a) - 1, -1, -1)
    return apply_op("Transpose", [a, convert_to_tensor(perm, dtype=dtypes.int32)], name=name)


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None) -> Tensor:
    """TF's strided slice: `input_[begin:end:strides]` per dimension, shaped by the masks."""
    input_ = convert_to_tensor(input_)
    if strides is None:
        strides = [1] * len(begin)
    spec = [convert_to_tensor(v, dtype=dtypes.int32) for v in (begin, end, strides)]
    return apply_op("StridedSlice", [input_] + spec, name=name, begin_mask=begin_mask,
                    end_mask=end_mask, ellipsis_mask=ellipsis_mask, new_axis_mask=new_axis_mask,
                    shrink_axis_mask=shrink_axis_mask)


def _slice_helper(tensor: Tensor, index) -> Tensor:
    begin, end, strides, masks = slice_spec(index)
    return strided_slice(tensor, np.asarray(begin, np.int32), np.asarray(end, np.int32),
                         np.asarray(strides, np.int32), name="strided_slice", **masks)


Tensor._override_operator("__getitem__", _slice_helper)
