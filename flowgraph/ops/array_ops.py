"""Array ops: placeholders, identity, shapes, reshape, stacking, slicing (`tf.*` names)."""

from __future__ import annotations

import collections

import numpy as np

from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Tensor, apply_op, constant_value
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.tensor_util import constant_value_as_shape
from flowgraph.ops.constant_op import constant, convert_to_tensor, to_numpy
from flowgraph.ops.slicing import _SLICE_TYPE_ERROR, slice_spec

newaxis = None


def placeholder(dtype, shape=None, name=None) -> Tensor:
    """A tensor that must be fed in `Session.run`.

    Example:
      >>> x = tf.placeholder(tf.float32, shape=[None, 3])
      >>> sess.run(x * 2, {x: [[1, 2, 3]]})
    """
    try:
        dtype = dtypes.as_dtype(dtype)
    except TypeError:  # TF's op_def_library, for an attr of type `type`
        raise TypeError(f"Expected DataType for argument 'dtype' not {dtype!r}.") from None
    out = apply_op(
        "Placeholder",
        [],
        name=name,
        dtype=dtype.numpy_dtype,
        shape=tensor_shape.as_shape(shape).as_tuple(),
    )
    if dtype in (dtypes.variant, dtypes.resource):  # numpy has no such dtype: say it here
        out._dtype = dtype
    return out


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
    shape = shape_tensor(shape)
    return _with_static_dims(apply_op("Reshape", [tensor, shape], name=name), shape)


def _with_static_dims(out: Tensor, shape: Tensor) -> Tensor:
    """`out` with the dims that the shape tensor `shape` fixes at build time (TF keeps
    them: `tf.zeros(tf.shape(x))` has `x`'s static dims)."""
    if not out.shape.is_fully_defined():
        known = constant_value_as_shape(shape)
        if known.ndims is not None and known.is_compatible_with(out.shape):
            merged = out.shape.merge_with(known)
            if out.shape.ndims is None or merged.as_list() != out.shape.as_list():
                out.set_shape(merged)
    return out


def shape_tensor(shape, name="Const") -> Tensor:
    """`shape` (a list, TensorShape, or tensor, possibly mixing ints and scalar tensors) as
    an int32 tensor, or int64 where the list holds int64 tensors (as TF packs it)."""
    if isinstance(shape, Tensor):
        return shape
    if isinstance(shape, tensor_shape.TensorShape):
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)) and any(isinstance(d, Tensor) for d in shape):
        wide = any(isinstance(d, Tensor) and d.dtype.base_dtype == dtypes.int64 for d in shape)
        dtype = dtypes.int64 if wide else dtypes.int32
        return stack([convert_to_tensor(d, dtype=dtype) for d in shape])
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
    if perm is None:
        if a.shape.ndims is not None:
            perm = np.arange(a.shape.ndims - 1, -1, -1, dtype=np.int32)
        else:
            perm = range(rank(a) - 1, -1, -1)
    op_type = "ConjugateTranspose" if conjugate and a.dtype.is_complex else "Transpose"
    return apply_op(op_type, [a, convert_to_tensor(perm, dtype=dtypes.int32)], name=name)


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
    items = index if isinstance(index, (tuple, list)) else (index,)
    if any(isinstance(i, Tensor) and constant_value(i) is None for i in items):
        return _dynamic_index(tensor, list(items))
    index = [_known_bounds(i) for i in items]
    begin, end, strides, masks = slice_spec(index)
    return strided_slice(
        tensor, *map(_slice_vector, (begin, end, strides)), name="strided_slice", **masks
    )


def _known_bounds(item):
    """An index item with the tensors whose value the graph knows replaced by it."""
    if isinstance(item, Tensor):
        value = constant_value(item)
        return item if value is None else value
    if isinstance(item, _builtin_slice):
        return _builtin_slice(*map(_known_bounds, (item.start, item.stop, item.step)))
    return item


def _slice_vector(values: list):
    """StridedSlice's begin/end/strides: int32 constants, or a packed tensor where a slice
    bound is known only at run time (`x[:t]`, as TF packs it)."""
    if not any(isinstance(v, Tensor) for v in values):
        return np.asarray(values, np.int32)
    cast = _math().cast
    return stack([cast(v, dtypes.int32) if isinstance(v, Tensor) else v for v in values])


_builtin_slice = slice  # `slice` below is tf.slice
_ALL = _builtin_slice(None)


def _dynamic_index(tensor: Tensor, items: list) -> Tensor:
    """`x[..., i, ...]` with scalar integer tensors `i` known only at run time (a loop
    counter): the other items slice first, then each tensor picks along its axis (a gather,
    compiled as a dynamic slice)."""
    if any(i is Ellipsis or i is None for i in items):
        raise TypeError(
            "Indexing with a run-time tensor together with `...` or tf.newaxis is not "
            "supported; use tf.gather"
        )
    picks = {}
    for position, item in enumerate(items):
        if isinstance(item, Tensor) and constant_value(item) is None:
            if item.shape.ndims not in (None, 0) or not item.dtype.base_dtype.is_integer:
                raise TypeError(f"{_SLICE_TYPE_ERROR}, got {item!r}")
            picks[position] = item
            items[position] = _ALL
    rest = [i for i in items if i != _ALL]
    result = _slice_helper(tensor, items) if rest else tensor
    for n, (position, index) in enumerate(picks.items()):
        shrunk = sum(1 for i in items[:position] if not isinstance(i, _builtin_slice))
        result = gather(result, index, axis=position - shrunk - n)
    return result


Tensor._override_operator("__getitem__", _slice_helper)


_SMALL = 1000  # TF1 embeds a zeros/ones value smaller than this as a constant


def _filled(shape, value, dtype, name, default_name) -> Tensor:
    dtype = dtypes.as_dtype(dtype).base_dtype
    with name_scope(name, default_name, [shape]) as scope:
        if not isinstance(shape, Tensor) and not _has_tensors(shape):
            dims = tensor_shape.as_shape(shape)
            if dims.is_fully_defined() and dims.num_elements() < _SMALL:
                return constant(value, dtype=dtype, shape=dims.as_list(), name=scope)
        dims_t = shape_tensor(shape)
        return _with_static_dims(
            apply_op("Fill", [dims_t, constant(value, dtype=dtype)], name=scope), dims_t
        )


def _has_tensors(value) -> bool:
    return isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value)


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
    value, dims = convert_to_tensor(value), shape_tensor(dims)
    return _with_static_dims(apply_op("Fill", [dims, value], name=name), dims)


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
    params = convert_to_tensor(params)
    indices = convert_to_tensor(indices)
    if not indices.dtype.base_dtype.is_integer:
        raise TypeError(f"indices must be int32 or int64, got {indices.dtype.name}")
    return apply_op(
        "GatherV2",
        [params, indices, convert_to_tensor(axis, dtype=dtypes.int32)],
        name=name,
        batch_dims=int(batch_dims),
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
    return apply_op(
        "ConcatV2",
        tensors + [axis_t],
        name=name,
        N=n,
        _static_inputs=(n,),
        T=tensors[0].dtype.numpy_dtype,
    )


# -- Splitting, slicing, tiling, padding ------------------------------------------------------


def _math():
    from flowgraph.ops import math_ops  # math_ops imports this module

    return math_ops


def _int32(value, name=None) -> Tensor:
    return convert_to_tensor(value, dtype=dtypes.int32, name=name)


def _index_tensor(value, name=None) -> Tensor:
    """An int32 or int64 tensor (a Python list becomes int32; one mixing ints and scalar
    tensors is packed, as TF packs it)."""
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        value = stack([convert_to_tensor(v) for v in value])
    t = value if isinstance(value, Tensor) else convert_to_tensor(value, name=name)
    if t.dtype.base_dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(
            f"Value passed to parameter '{name or 'indices'}' has DataType "
            f"{t.dtype.name} not in list of allowed values: int32, int64"
        )
    return t


def shape_n(input, out_type=dtypes.int32, name=None) -> list:
    """The shapes of several tensors, as a list of 1-D integer tensors (one op)."""
    tensors = [convert_to_tensor(t) for t in input]
    out = apply_op(
        "ShapeN", tensors, name=name, N=len(tensors), out_type=dtypes.as_dtype(out_type).numpy_dtype
    )
    return list(out) if isinstance(out, tuple) else [out]


def unstack(value, num=None, axis=0, name="unstack") -> list:
    """Unpacks the rank-R `value` along `axis` into a list of `num` rank-(R-1) tensors.

    Example:
      >>> a, b = tf.unstack(tf.constant([[1, 2], [3, 4]]))   # [1, 2] and [3, 4]
    """
    value = convert_to_tensor(value)
    if num is None:
        dims = value.shape.as_list() if value.shape.ndims is not None else None
        if dims is None or not -len(dims) <= axis < len(dims) or dims[axis] is None:
            raise ValueError(f"Cannot infer num from shape {value.shape}")
        num = dims[axis]
    if value.shape.ndims is not None and not -value.shape.ndims <= axis < value.shape.ndims:
        raise ValueError(f"axis = {axis} not in [{-value.shape.ndims}, {value.shape.ndims})")
    out = apply_op("Unpack", [value], name=name, num=int(num), axis=int(axis))
    if isinstance(out, tuple):
        return list(out)
    return [] if num == 0 else [out]


unpack = unstack
pack = stack


def split(value, num_or_size_splits, axis=0, num=None, name="split") -> list:
    """Splits `value` along `axis` into `num_or_size_splits` equal parts, or into parts of
    the given sizes (one size may be -1: the rest).

    Example:
      >>> a, b = tf.split(tf.zeros([4, 6]), [2, -1], axis=1)   # shapes (4, 2), (4, 4)
    """
    value = convert_to_tensor(value)
    sizes = num_or_size_splits
    if isinstance(sizes, (int, np.integer)) or (
        not isinstance(sizes, Tensor) and np.ndim(sizes) == 0 and not isinstance(sizes, list)
    ):
        n = int(sizes)
        out = apply_op(
            "Split", [_int32(axis, name="split/split_dim"), value], name=name, num_split=n
        )
        return list(out) if isinstance(out, tuple) else [out]
    sizes = _index_tensor(sizes, "size_splits")
    if num is None:
        if sizes.shape.ndims != 1 or sizes.shape.as_list()[0] is None:
            raise ValueError(f"Cannot infer num from shape {sizes.shape}")
        num = sizes.shape.as_list()[0]
    out = apply_op(
        "SplitV",
        [value, sizes, _int32(axis, name="split/split_dim")],
        name=name,
        num_split=int(num),
    )
    return list(out) if isinstance(out, tuple) else [out]


def slice(input_, begin, size, name=None) -> Tensor:  # noqa: A001
    """The `size`-shaped part of `input_` starting at `begin` (a size of -1: to the end).

    Example:
      >>> tf.slice(tf.constant([[1, 2, 3], [4, 5, 6]]), [0, 1], [2, -1])   # [[2, 3], [5, 6]]
    """
    input_ = convert_to_tensor(input_)
    begin, size = _index_tensor(begin, "begin"), _index_tensor(size, "size")
    return apply_op("Slice", [input_, begin, size], name=name)


def tile(input, multiples, name=None) -> Tensor:
    """`input` repeated `multiples[i]` times along each dimension i."""
    input = convert_to_tensor(input)
    return apply_op("Tile", [input, _index_tensor(multiples, "multiples")], name=name)


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0) -> Tensor:
    """Pads `tensor` by `paddings[i] = [before, after]` along each dimension i.

    `mode` is "CONSTANT" (with `constant_values`), "REFLECT" (the edge not repeated) or
    "SYMMETRIC" (the edge repeated); case-insensitive.

    Example:
      >>> tf.pad(tf.constant([[1, 2]]), [[1, 1], [2, 2]])   # shape (3, 6)
    """
    tensor = convert_to_tensor(tensor)
    paddings = _index_tensor(paddings, "paddings")
    mode = mode.upper()
    if mode == "CONSTANT":
        if not isinstance(constant_values, Tensor) and np.all(np.asarray(constant_values) == 0):
            return apply_op("Pad", [tensor, paddings], name=name)
        values = convert_to_tensor(constant_values, dtype=tensor.dtype.base_dtype)
        return apply_op("PadV2", [tensor, paddings, values], name=name)
    if mode in ("REFLECT", "SYMMETRIC"):
        return apply_op("MirrorPad", [tensor, paddings], name=name, mode=mode)
    raise ValueError(f"Unknown padding mode: {mode}")


# -- One-hot, gathers and scatters by index tuples, reversal ----------------------------------


def one_hot(
    indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None
) -> Tensor:
    """A one-hot tensor: `on_value` where the new `axis` position equals the index,
    `off_value` elsewhere (negative or too large indices give an all-off row).

    Example:
      >>> tf.one_hot([0, 2], 3)   # [[1., 0., 0.], [0., 0., 1.]]
    """
    with name_scope(name, "one_hot", [indices, depth, on_value, off_value]) as scope:
        on_dtype = None if on_value is None else convert_to_tensor(on_value).dtype.base_dtype
        off_dtype = None if off_value is None else convert_to_tensor(off_value).dtype.base_dtype
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype).base_dtype
            for which, d in (("on_value", on_dtype), ("off_value", off_dtype)):
                if d is not None and d != dtype:
                    raise TypeError(
                        f"dtype {d.name} of {which} does not match dtype parameter {dtype.name}"
                    )
        else:
            dtype = on_dtype or off_dtype or dtypes.float32
        if on_dtype and off_dtype and on_dtype != off_dtype:
            raise TypeError(
                f"dtype {on_dtype.name} of on_value does not match dtype "
                f"{off_dtype.name} of off_value"
            )
        on = convert_to_tensor(1 if on_value is None else on_value, dtype=dtype, name="on_value")
        off = convert_to_tensor(
            0 if off_value is None else off_value, dtype=dtype, name="off_value"
        )
        indices = convert_to_tensor(indices)
        if indices.dtype.base_dtype not in (dtypes.uint8, dtypes.int32, dtypes.int64):
            raise TypeError(
                f"Value passed to parameter 'indices' has DataType "
                f"{indices.dtype.name} not in list of allowed values: uint8, "
                f"int32, int64"
            )
        axis = -1 if axis is None else int(axis)
        rank_ = indices.shape.ndims
        if axis < -1 or (rank_ is not None and axis > rank_):
            raise ValueError(
                f"Expected axis to be -1 or between [0, {rank_}).  But received: {axis}"
            )
        return apply_op(
            "OneHot", [indices, _int32(depth, name="depth"), on, off], name=scope, axis=axis
        )


def gather_nd(params, indices, name=None, batch_dims=0) -> Tensor:
    """Slices of `params` at the index tuples in the last dimension of `indices`.

    Example:
      >>> tf.gather_nd([[1, 2], [3, 4]], [[1, 0], [0, 1]])   # [3, 2]
    """
    params = convert_to_tensor(params)
    if batch_dims < 0:
        raise ValueError(f"batch_dims must be non-negative, got {batch_dims}")
    if batch_dims:
        indices = _index_tensor(indices)
        return apply_op("BatchGatherNd", [params, indices], name=name, batch_dims=int(batch_dims))
    return apply_op("GatherNd", [params, _index_tensor(indices)], name=name)


def scatter_nd(indices, updates, shape, name=None) -> Tensor:
    """Zeros of `shape` with `updates` added at the index tuples of `indices` (duplicate
    indices add up)."""
    indices = _index_tensor(indices)
    updates = convert_to_tensor(updates)
    shape_t = (
        shape
        if isinstance(shape, Tensor)
        else convert_to_tensor(shape, dtype=indices.dtype.base_dtype)
    )
    return apply_op("ScatterNd", [indices, updates, shape_t], name=name)


def _tensor_scatter(op_type, tensor, indices, updates, name) -> Tensor:
    tensor = convert_to_tensor(tensor)
    updates = convert_to_tensor(updates, dtype=tensor.dtype.base_dtype)
    return apply_op(op_type, [tensor, _index_tensor(indices), updates], name=name)


def tensor_scatter_nd_update(tensor, indices, updates, name=None) -> Tensor:
    """A copy of `tensor` with the slices at `indices` replaced by `updates`."""
    return _tensor_scatter("TensorScatterUpdate", tensor, indices, updates, name)


def tensor_scatter_nd_add(tensor, indices, updates, name=None) -> Tensor:
    """A copy of `tensor` with `updates` added at `indices`."""
    return _tensor_scatter("TensorScatterAdd", tensor, indices, updates, name)


def tensor_scatter_nd_sub(tensor, indices, updates, name=None) -> Tensor:
    """A copy of `tensor` with `updates` subtracted at `indices`."""
    return _tensor_scatter("TensorScatterSub", tensor, indices, updates, name)


tensor_scatter_update = tensor_scatter_nd_update
tensor_scatter_add = tensor_scatter_nd_add
tensor_scatter_sub = tensor_scatter_nd_sub


def reverse_v2(tensor, axis, name=None) -> Tensor:
    """`tensor` with the dimensions in `axis` reversed."""
    tensor = convert_to_tensor(tensor)
    return apply_op("ReverseV2", [tensor, _index_tensor(axis, "axis")], name=name)


reverse = reverse_v2


def reverse_sequence(
    input, seq_lengths, seq_axis=None, batch_axis=None, name=None, seq_dim=None, batch_dim=None
) -> Tensor:
    """Reverses the first `seq_lengths[b]` elements along `seq_axis` of each batch entry b."""
    seq_axis = _deprecated_alias(seq_axis, seq_dim, "seq_axis", "seq_dim")
    batch_axis = _deprecated_alias(batch_axis, batch_dim, "batch_axis", "batch_dim")
    batch_axis = 0 if batch_axis is None else int(batch_axis)
    if seq_axis is None:
        raise TypeError("reverse_sequence() missing required argument 'seq_axis'")
    input = convert_to_tensor(input)
    lengths = _index_tensor(seq_lengths, "seq_lengths")
    rank_ = input.shape.ndims
    if rank_ is not None:
        for what, a in (("seq_dim", seq_axis), ("batch_dim", batch_axis)):
            if not 0 <= a < rank_:
                raise ValueError(f"Invalid {what} {a} for input of rank {rank_}")
        if seq_axis == batch_axis:
            raise ValueError(f"seq_dim and batch_dim must differ, both are {seq_axis}")
    return apply_op(
        "ReverseSequence", [input, lengths], name=name, seq_dim=int(seq_axis), batch_dim=batch_axis
    )


def _deprecated_alias(new, old, new_name, old_name):
    if new is not None and old is not None:
        raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'")
    return old if new is None else new


# -- Data-dependent sizes (host ops) ----------------------------------------------------------


def unique(x, out_idx=dtypes.int32, name=None):
    """The distinct values of the 1-D `x` in order of first occurrence, and for each element
    of `x` the index of its value in them: `(y, idx)`."""
    out = apply_op(
        "Unique", [convert_to_tensor(x)], name=name, out_idx=dtypes.as_dtype(out_idx).numpy_dtype
    )
    return _UniqueOutput(*out)


def unique_with_counts(x, out_idx=dtypes.int32, name=None):
    """Like `unique`, with how often each distinct value occurs: `(y, idx, count)`."""
    out = apply_op(
        "UniqueWithCounts",
        [convert_to_tensor(x)],
        name=name,
        out_idx=dtypes.as_dtype(out_idx).numpy_dtype,
    )
    return _UniqueWithCountsOutput(*out)


def setdiff1d(x, y, index_dtype=dtypes.int32, name=None):
    """The values of `x` not in `y` (in `x`'s order) and their positions: `(out, idx)`."""
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype=x.dtype.base_dtype)
    out = apply_op("ListDiff", [x, y], name=name, out_idx=dtypes.as_dtype(index_dtype).numpy_dtype)
    return _ListDiffOutput(*out)


def dynamic_partition(data, partitions, num_partitions, name=None) -> list:
    """Splits `data` into `num_partitions` tensors: part p holds the slices whose
    `partitions` entry is p, in order."""
    data = convert_to_tensor(data)
    partitions = convert_to_tensor(partitions, dtype=dtypes.int32)
    out = apply_op(
        "DynamicPartition", [data, partitions], name=name, num_partitions=int(num_partitions)
    )
    return list(out) if isinstance(out, tuple) else [out]


def dynamic_stitch(indices, data, name=None) -> Tensor:
    """Interleaves the values of `data` into one tensor: `merged[indices[m][i]] =
    data[m][i]` (a later entry wins where indices repeat)."""
    indices = [convert_to_tensor(i, dtype=dtypes.int32) for i in indices]
    data = [convert_to_tensor(d) for d in data]
    data = [data[0]] + [convert_to_tensor(d, dtype=data[0].dtype.base_dtype) for d in data[1:]]
    if len(indices) != len(data):
        raise ValueError(
            f"List argument 'indices' to 'DynamicStitch' Op with length "
            f"{len(indices)} must match length {len(data)} of argument 'data'."
        )
    out = apply_op("DynamicStitch", indices + data, name=name, N=len(indices))
    values = [constant_value(i) for i in indices]
    if out.shape.ndims is not None and all(v is not None for v in values):
        # TF's shape function: with every index known, the row count is the largest + 1.
        rows = max((int(np.max(v)) + 1 for v in values if np.size(v)), default=0)
        out.set_shape([rows] + [None] * (out.shape.ndims - 1))
    return out


# -- Sorting, broadcasting, ranges, casts, masks ----------------------------------------------


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002
    """The `k` largest entries along the last dimension and their indices: `(values,
    indices)`, ties broken by lower index first."""
    input = convert_to_tensor(input)
    out = apply_op("TopKV2", [input, _int32(k, name="k")], name=name, sorted=bool(sorted))
    return _TopKOutput(*out)


def _sort_or_argsort(values, axis, direction, return_argsort):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f'Unknown direction: {direction}. Expected "ASCENDING" or "DESCENDING".')
    values = convert_to_tensor(values, name="values")
    rank_ = values.shape.ndims
    axis = int(axis)
    if rank_ is None and axis != -1:
        raise ValueError(f"sort along axis {axis} needs the rank of values to be known")
    rank_ = 1 if rank_ is None else rank_  # unknown rank: axis -1, nothing to transpose
    if not -rank_ <= axis < rank_:
        raise ValueError(f"axis must be a valid dimension of values of rank {rank_}, got {axis}")
    axis %= rank_
    perm = None
    if axis != rank_ - 1:
        perm = list(np.arange(rank_))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        values = transpose(values, perm)
    n = values.shape.as_list()[-1] if values.shape.ndims else None
    k = n if n is not None else shape(values)[-1]
    if direction == "ASCENDING":  # top_k of the negated values; ties stay in index order
        if values.dtype.base_dtype.is_unsigned:
            raise ValueError("sort of unsigned integers in ascending order is not supported")
        top, index = top_k(_math().negative(values), k)
        top = _math().negative(top)
    else:
        top, index = top_k(values, k)
    out = index if return_argsort else top
    return out if perm is None else transpose(out, perm)


def sort(values, axis=-1, direction="ASCENDING", name=None) -> Tensor:
    """`values` sorted along `axis`.

    Example:
      >>> tf.sort([3, 1, 2])   # [1, 2, 3]
    """
    with name_scope(name, "sort"):
        return _sort_or_argsort(values, axis, direction, return_argsort=False)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None) -> Tensor:
    """The int32 indices that sort `values` along `axis` (always stable here)."""
    with name_scope(name, "argsort"):
        return _sort_or_argsort(values, axis, direction, return_argsort=True)


def broadcast_to(input, shape, name=None) -> Tensor:
    """`input` broadcast to `shape` (numpy's broadcasting rules)."""
    input, shape = convert_to_tensor(input), _index_tensor(shape_tensor(shape), "shape")
    return _with_static_dims(apply_op("BroadcastTo", [input, shape], name=name), shape)


def broadcast_dynamic_shape(shape_x, shape_y) -> Tensor:
    """The broadcast of two shapes given as 1-D integer tensors."""
    shape_x = _index_tensor(shape_x, "shape_x")
    shape_y = convert_to_tensor(shape_y, dtype=shape_x.dtype.base_dtype)
    return apply_op("BroadcastArgs", [shape_x, shape_y], name="BroadcastArgs")


def broadcast_static_shape(shape_x, shape_y) -> tensor_shape.TensorShape:
    """The broadcast of two TensorShapes; ValueError if they cannot be broadcast."""
    from kernels.shapes import broadcast_shapes

    x, y = tensor_shape.as_shape(shape_x), tensor_shape.as_shape(shape_y)
    try:
        dims = broadcast_shapes(x.as_tuple(), y.as_tuple())
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting: {x} and {y}") from None
    return tensor_shape.TensorShape(None if dims is None else list(dims))


def meshgrid(*args, **kwargs) -> list:
    """Coordinate grids from 1-D coordinate vectors; `indexing` "xy" (Cartesian, the
    default) or "ij" (matrix).

    Example:
      >>> X, Y = tf.meshgrid([1, 2, 3], [4, 5])   # both of shape (2, 3)
    """
    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        raise TypeError(f"'{next(iter(kwargs))}' is an invalid keyword argument for this function")
    if indexing not in ("xy", "ij"):
        raise ValueError("indexing parameter must be either 'xy' or 'ij'")
    with name_scope(name, "meshgrid", args):
        n = len(args)
        outputs = []
        for i, x in enumerate(args):
            target = [1] * n
            target[i] = -1
            outputs.append(reshape(convert_to_tensor(x), target))
        if indexing == "xy" and n > 1:
            outputs[0] = reshape(args[0], [1, -1] + [1] * (n - 2))
            outputs[1] = reshape(args[1], [-1, 1] + [1] * (n - 2))
        shapes = [size(x) for x in args]
        if indexing == "xy" and n > 1:
            shapes[0], shapes[1] = shapes[1], shapes[0]
        full = stack(shapes)
        return [broadcast_to(o, full) for o in outputs]


def lin_space(start, stop, num, name=None) -> Tensor:
    """`num` evenly spaced values from `start` to `stop` inclusive."""
    start = convert_to_tensor(start)
    if start.dtype.base_dtype not in (
        dtypes.bfloat16,
        dtypes.float16,
        dtypes.float32,
        dtypes.float64,
    ):
        raise TypeError(
            f"Value passed to parameter 'start' has DataType {start.dtype.name} "
            f"not in list of allowed values: bfloat16, float32, float64"
        )
    stop = convert_to_tensor(stop, dtype=start.dtype.base_dtype)
    return apply_op("LinSpace", [start, stop, _index_tensor(num, "num")], name=name)


linspace = lin_space


def bitcast(input, type, name=None) -> Tensor:  # noqa: A002
    """Reinterprets the bytes of `input` as `type` (a wider type consumes the last
    dimension; a narrower one adds one)."""
    input = convert_to_tensor(input)
    type = dtypes.as_dtype(type).base_dtype
    return apply_op("Bitcast", [input], name=name, T=input.dtype.numpy_dtype, type=type.numpy_dtype)


def saturate_cast(value, dtype, name=None) -> Tensor:
    """Casts `value` to `dtype`, clipping it to `dtype`'s range first."""
    math_ops = _math()
    with name_scope(name, "saturate_cast", [value]) as scope:
        value = convert_to_tensor(value, name="value")
        dtype = dtypes.as_dtype(dtype).base_dtype
        if value.dtype.min < dtype.min:
            value = math_ops.maximum(
                value, convert_to_tensor(dtype.min, dtype=value.dtype.base_dtype, name="min")
            )
        if value.dtype.max > dtype.max:
            value = math_ops.minimum(
                value, convert_to_tensor(dtype.max, dtype=value.dtype.base_dtype, name="max")
            )
        return math_ops.cast(value, dtype, name=scope)


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None) -> Tensor:
    """`mask[i..., j] = j < lengths[i...]` for j below `maxlen` (default: the largest length).

    Example:
      >>> tf.sequence_mask([1, 3], 4)   # [[True, False, False, False], [True, True, True, False]]
    """
    math_ops = _math()
    with name_scope(name, "SequenceMask", [lengths, maxlen]):
        lengths = convert_to_tensor(lengths)
        if maxlen is None:
            maxlen = math_ops.reduce_max(lengths)
            maxlen = math_ops.maximum(constant(0, maxlen.dtype.base_dtype), maxlen)
        else:
            maxlen = convert_to_tensor(maxlen)
        if maxlen.shape.ndims is not None and maxlen.shape.ndims != 0:
            raise ValueError("maxlen must be scalar for sequence_mask")
        row = range(
            constant(0, maxlen.dtype.base_dtype), maxlen, constant(1, maxlen.dtype.base_dtype)
        )
        matrix = math_ops.cast(expand_dims(lengths, -1), maxlen.dtype.base_dtype)
        result = math_ops.less(row, matrix)
        dtype = dtypes.as_dtype(dtype)
        return result if dtype == dtypes.bool else math_ops.cast(result, dtype)


# TF1 returns these as namedtuples: fields by name, unpacking, and fetchable as structures.
_UniqueOutput = collections.namedtuple("Unique", ["y", "idx"])
_UniqueWithCountsOutput = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])
_ListDiffOutput = collections.namedtuple("ListDiff", ["out", "idx"])
_TopKOutput = collections.namedtuple("TopKV2", ["values", "indices"])


# -- Space <-> batch and space <-> depth ------------------------------------------------------


def space_to_batch_nd(input, block_shape, paddings, name=None) -> Tensor:  # noqa: A002
    """Zero-pads the spatial dims of `input` (dims 1..M, M = len(block_shape)) by `paddings`
    and moves `block_shape` blocks of them into the batch dimension."""
    input = convert_to_tensor(input)
    block = _index_tensor(block_shape, "block_shape")
    paddings = _index_tensor(paddings, "paddings")
    return apply_op("SpaceToBatchND", [input, block, paddings], name=name)


def batch_to_space_nd(input, block_shape, crops, name=None) -> Tensor:  # noqa: A002
    """The inverse of `space_to_batch_nd`: moves batch blocks back into the spatial dims,
    then crops them by `crops`."""
    input = convert_to_tensor(input)
    block = _index_tensor(block_shape, "block_shape")
    crops = _index_tensor(crops, "crops")
    return apply_op("BatchToSpaceND", [input, block, crops], name=name)


def space_to_batch(input, paddings, block_size, name=None) -> Tensor:  # noqa: A002
    """`space_to_batch_nd` of a 4-D NHWC `input` with the block `[block_size, block_size]`."""
    return space_to_batch_nd(input, [int(block_size)] * 2, paddings, name=name)


def batch_to_space(input, crops, block_size, name=None) -> Tensor:  # noqa: A002
    """`batch_to_space_nd` of a 4-D NHWC `input` with the block `[block_size, block_size]`."""
    return batch_to_space_nd(input, [int(block_size)] * 2, crops, name=name)


def _depth_op(op_type, input, block_size, name, data_format):
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(
            f"Value for attr 'data_format' of \"{data_format}\" is not in the list of allowed "
            f'values: "NHWC", "NCHW"'
        )
    input = convert_to_tensor(input)
    return apply_op(
        op_type, [input], name=name, block_size=int(block_size), data_format=data_format
    )


def space_to_depth(input, block_size, name=None, data_format="NHWC") -> Tensor:  # noqa: A002
    """Moves `block_size` x `block_size` spatial blocks into the depth dimension."""
    return _depth_op("SpaceToDepth", input, block_size, name, data_format)


def depth_to_space(input, block_size, name=None, data_format="NHWC") -> Tensor:  # noqa: A002
    """Moves depth into `block_size` x `block_size` spatial blocks (inverse of
    `space_to_depth`)."""
    return _depth_op("DepthToSpace", input, block_size, name, data_format)
