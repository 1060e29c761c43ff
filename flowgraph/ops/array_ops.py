"""Array ops: placeholders, identity, shapes, reshape, stacking, slicing (`tf.*` names)."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
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
    return apply_op(
        "Placeholder",
        [],
        name=name,
        dtype=dtype.numpy_dtype,
        shape=tensor_shape.as_shape(shape).as_tuple(),
    )


def placeholder_with_default(input, shape, name=None) -> Tensor:
    """Passes `input` through unless a value is fed; the fed value must fit `shape`."""
    input = convert_to_tensor(input)
    shape = tensor_shape.as_shape(shape)
    if not shape.is_compatible_with(input.shape):
        raise ValueError(f"Shapes {input.shape} and {shape} are incompatible")
    return apply_op(
        "PlaceholderWithDefault",
        [input],
        name=name,
        dtype=input.dtype.numpy_dtype,
        shape=shape.as_tuple(),
    )


def identity(input, name=None) -> Tensor:
    """Returns a tensor with the same value as `input`."""
    return apply_op("Identity", [convert_to_tensor(input)], name=name)


def reshape(tensor, shape, name=None) -> Tensor:
    """Reshapes `tensor` to `shape` (one entry may be -1)."""
    tensor = convert_to_tensor(tensor)
    return apply_op("Reshape", [tensor, shape_tensor(shape)], name=name)


def shape_tensor(shape, name="Const") -> Tensor:
    """`shape` (a list, TensorShape, or tensor, possibly mixing ints and scalar tensors) as
    an int32 tensor."""
    if isinstance(shape, Tensor):
        return shape
    if isinstance(shape, tensor_shape.TensorShape):
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)) and any(isinstance(d, Tensor) for d in shape):
        return stack([convert_to_tensor(d, dtype=dtypes.int32) for d in shape])
    return constant(shape, dtype=dtypes.int32, name=name)


def shape(input, name=None, out_type=dtypes.int32) -> Tensor:
    """The shape of `input` as a 1-D integer tensor."""
    return apply_op(
        "Shape",
        [convert_to_tensor(input)],
        name=name,
        out_type=dtypes.as_dtype(out_type).numpy_dtype,
    )


def size(input, name=None, out_type=dtypes.int32) -> Tensor:
    """The number of elements of `input`."""
    return apply_op(
        "Size",
        [convert_to_tensor(input)],
        name=name,
        out_type=dtypes.as_dtype(out_type).numpy_dtype,
    )


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


def strided_slice(
    input_,
    begin,
    end,
    strides=None,
    begin_mask=0,
    end_mask=0,
    ellipsis_mask=0,
    new_axis_mask=0,
    shrink_axis_mask=0,
    var=None,
    name=None,
) -> Tensor:
    """TF's strided slice: `input_[begin:end:strides]` per dimension, shaped by the masks."""
    input_ = convert_to_tensor(input_)
    if strides is None:
        strides = [1] * len(begin)
    spec = [convert_to_tensor(v, dtype=dtypes.int32) for v in (begin, end, strides)]
    return apply_op(
        "StridedSlice",
        [input_] + spec,
        name=name,
        begin_mask=begin_mask,
        end_mask=end_mask,
        ellipsis_mask=ellipsis_mask,
        new_axis_mask=new_axis_mask,
        shrink_axis_mask=shrink_axis_mask,
    )


def _slice_helper(tensor: Tensor, index) -> Tensor:
    begin, end, strides, masks = slice_spec(index)
    return strided_slice(
        tensor,
        np.asarray(begin, np.int32),
        np.asarray(end, np.int32),
        np.asarray(strides, np.int32),
        name="strided_slice",
        **masks,
    )


Tensor._override_operator("__getitem__", _slice_helper)


_SMALL = 1000  # TF1 embeds a zeros/ones value smaller than this as a constant


def _filled(shape, value, dtype, name, default_name) -> Tensor:
    dtype = dtypes.as_dtype(dtype).base_dtype
    with name_scope(name, default_name, [shape]) as scope:
        if not isinstance(shape, Tensor):
            dims = tensor_shape.as_shape(shape)
            if dims.is_fully_defined() and dims.num_elements() < _SMALL:
                return constant(value, dtype=dtype, shape=dims.as_list(), name=scope)
        dims_t = shape_tensor(shape)
        return apply_op("Fill", [dims_t, constant(value, dtype=dtype)], name=scope)


def _zero(dtype) -> object:
    dtype = dtypes.as_dtype(dtype).base_dtype
    return False if dtype == dtypes.bool else ("" if dtype == dtypes.string else 0)


def zeros(shape, dtype=dtypes.float32, name=None) -> Tensor:
    """A tensor of `shape` with all elements zero."""
    return _filled(shape, _zero(dtype), dtype, name, "zeros")


def ones(shape, dtype=dtypes.float32, name=None) -> Tensor:
    """A tensor of `shape` with all elements one."""
    one = True if dtypes.as_dtype(dtype).base_dtype == dtypes.bool else 1
    return _filled(shape, one, dtype, name, "ones")


def fill(dims, value, name=None) -> Tensor:
    """A tensor of shape `dims` filled with the scalar `value`."""
    value = convert_to_tensor(value)
    return apply_op("Fill", [shape_tensor(dims), value], name=name)


def _like(op_type: str, make, tensor, dtype, name, optimize, default_name) -> Tensor:
    with name_scope(name, default_name, [tensor]) as scope:
        tensor = convert_to_tensor(tensor)
        dtype = dtypes.as_dtype(dtype or tensor.dtype).base_dtype
        if optimize and tensor.shape.is_fully_defined():
            return make(tensor.shape, dtype=dtype, name=scope)
        if dtype == tensor.dtype.base_dtype:
            return apply_op(op_type, [tensor], name=scope)
        return make(shape(tensor), dtype=dtype, name=scope)


def zeros_like(tensor, dtype=None, name=None, optimize=True) -> Tensor:
    """Zeros with the shape (and by default the dtype) of `tensor`."""
    return _like("ZerosLike", zeros, tensor, dtype, name, optimize, "zeros_like")


def ones_like(tensor, dtype=None, name=None, optimize=True) -> Tensor:
    """Ones with the shape (and by default the dtype) of `tensor`."""
    return _like("OnesLike", ones, tensor, dtype, name, optimize, "ones_like")


def where(condition, x=None, y=None, name=None) -> Tensor:
    """With `x` and `y`: elements of `x` where `condition`, else of `y` (TF1's Select).

    With only `condition`: the int64 coordinates of its true elements, shape [n, rank].
    """
    condition = convert_to_tensor(condition, dtype=dtypes.bool)
    if x is None and y is None:
        return apply_op("Where", [condition], name=name)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype=x.dtype.base_dtype)
    return apply_op("Select", [condition, x, y], name=name)


def gather(params, indices, validate_indices=None, name=None, axis=0, batch_dims=0) -> Tensor:
    """Slices of `params` along `axis` at `indices` (out-of-range indices give zeros)."""
    if batch_dims != 0:
        raise NotImplementedError("tf.gather with batch_dims != 0")
    params = convert_to_tensor(params)
    indices = convert_to_tensor(indices)
    if not indices.dtype.base_dtype.is_integer:
        raise TypeError(f"indices must be int32 or int64, got {indices.dtype.name}")
    return apply_op(
        "GatherV2",
        [params, indices, convert_to_tensor(axis, dtype=dtypes.int32)],
        name=name,
        batch_dims=0,
    )


def squeeze(input, axis=None, name=None, squeeze_dims=None) -> Tensor:
    """Removes dimensions of size 1 (all of them, or those in `axis`)."""
    if squeeze_dims is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'squeeze_dims' and 'axis'")
        axis = squeeze_dims
    axis = () if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    return apply_op(
        "Squeeze", [convert_to_tensor(input)], name=name, squeeze_dims=tuple(int(a) for a in axis)
    )


def boolean_mask(tensor, mask, name="boolean_mask", axis=None) -> Tensor:
    """The elements (or slices) of `tensor` where `mask` is true, flattened over the mask's
    dimensions (which start at `axis`)."""
    with name_scope(name, values=[tensor, mask]):
        tensor = convert_to_tensor(tensor, name="tensor")
        mask = convert_to_tensor(mask, dtype=dtypes.bool, name="mask")
        m = mask.shape.ndims
        if m is None:
            raise ValueError(
                "Number of mask dimensions must be specified, even if some "
                "dimensions are None.  E.g. shape=[None] is ok, but shape=None "
                "is not."
            )
        if m == 0:
            raise ValueError("mask cannot be scalar.")
        axis = 0 if axis is None else int(axis)
        rest = tensor.shape.as_list()[axis + m :] if tensor.shape.ndims is not None else None
        lead = tensor.shape.as_list()[:axis] if tensor.shape.ndims is not None else None
        if m > 1 or axis:
            if rest is None or None in rest or None in lead:
                raise ValueError("boolean_mask needs the dimensions outside the mask known")
            tensor = reshape(tensor, lead + [-1] + rest)
            mask = reshape(mask, [-1])
        indices = squeeze(where(mask), axis=[1])
        return gather(tensor, indices, axis=axis)


def stop_gradient(input, name=None) -> Tensor:
    """Passes `input` through; gradients do not flow back through it."""
    return apply_op("StopGradient", [convert_to_tensor(input)], name=name)


def identity_n(input, name=None) -> list:
    """The same tensors, through one op."""
    tensors = [convert_to_tensor(t) for t in input]
    out = apply_op("IdentityN", tensors, name=name, T=[t.dtype.numpy_dtype for t in tensors])
    return list(out) if isinstance(out, tuple) else [out]


def concat(values, axis, name="concat") -> Tensor:
    """Concatenates tensors along `axis`."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    if len(values) == 1:
        with name_scope(name) as scope:
            return identity(values[0], name=scope)
    tensors = [convert_to_tensor(v) for v in values]
    tensors = [tensors[0]] + [convert_to_tensor(t, dtype=tensors[0].dtype) for t in tensors[1:]]
    axis_t = convert_to_tensor(axis, dtype=dtypes.int32, name="concat/axis")
    n = len(tensors)
    return apply_op("ConcatV2", tensors + [axis_t], name=name, N=n, static_inputs=(n,),
                    T=tensors[0].dtype.numpy_dtype)
