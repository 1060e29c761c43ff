"""Array kernels: constants, placeholders, shapes, reshaping, transposing, slicing, stacking."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.errors import InvalidArgumentError
from kernels.op_def import declare
from kernels.registry import HOST, SHAPE_ONLY, Spec, register
from kernels.shapes import same_as_first
from kernels.strided_slice import strided_slice, strided_slice_shape
from kernels.string_codes import moves_strings


def merge_shapes(shapes, what: str = "") -> tuple | None:
    """The most specific shape compatible with all of `shapes`; ValueError if there is none.

    The error is TF's (`InferenceContext::Merge`), followed by `what` as TF adds context.
    """
    out = None
    for i, shape in enumerate(shapes):
        if shape is None:
            continue
        if out is None:
            out = tuple(shape)
            continue
        try:
            out = _merge(out, tuple(shape))
        except ValueError as e:
            context = f"\n\t{what.format(i - 1)}" if what else ""
            raise ValueError(f"{e}{context}") from None
    return out


def _merge(a: tuple, b: tuple) -> tuple:
    if len(a) != len(b):
        raise ValueError(f"Shapes must be equal rank, but are {len(a)} and {len(b)}")
    for i, (x, y) in enumerate(zip(a, b)):
        if x is not None and y is not None and x != y:
            raise ValueError(
                f"Dimension {i} in both shapes must be equal, but are {x} and {y}. "
                f"Shapes are {format_shape(a)} and {format_shape(b)}."
            )
    return tuple(x if x is not None else y for x, y in zip(a, b))


def format_shape(shape) -> str:
    """A shape as TF's shape inference prints it: `[2,?,3]`."""
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def _const_shape(specs, attrs, static_values):
    return [Spec(attrs["value"].shape, attrs["dtype"])]


@register("Const", shape=_const_shape)
def const(*, value: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # Returned as numpy: a concrete value inside a traced segment, so it can feed static inputs.
    return value


def _placeholder_shape(specs, attrs, static_values):
    return [Spec(attrs["shape"], attrs["dtype"])]


_TF_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half", "object": "string"}


def _tf_type_name(dtype: np.dtype) -> str:
    """TF's `DataTypeString`: `float` for float32, `string` for strings."""
    return _TF_TYPE_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def missing_feed_message(name: str, dtype: np.dtype, shape: tuple | None) -> str:
    """TF's text for a Placeholder that was not fed (the shape only when its rank is > 0)."""
    where = f"placeholder tensor '{name}'" if name else "placeholder tensor"
    text = f"You must feed a value for {where} with dtype {_tf_type_name(dtype)}"
    return f"{text} and shape {format_shape(shape)}" if shape else text


@register("Placeholder", shape=_placeholder_shape)
def placeholder(*, dtype: np.dtype, shape: tuple | None):
    # Runs only where no plan checked its feeds first (plans name the node: device/plan.py).
    raise InvalidArgumentError(None, None, missing_feed_message("", dtype, shape))


@register("PlaceholderWithDefault", shape=_placeholder_shape)
def placeholder_with_default(input, *, dtype: np.dtype, shape: tuple | None):
    return input


@register("Identity", shape=same_as_first)
def identity(input):
    return input


def _reshape_shape(specs, attrs, static_values):
    if static_values[1] is None:
        n = specs[1].shape[0] if specs[1].shape else None
        return [Spec(None if n is None else (None,) * n, specs[0].dtype)]
    target = [int(d) for d in np.asarray(static_values[1]).reshape(-1)]
    if sum(d == -1 for d in target) > 1 or any(d < -1 for d in target):
        raise ValueError(
            f"Only one dimension of the new shape may be -1, and none may be "
            f"otherwise negative: {target}"
        )
    shape = specs[0].shape
    if shape is not None and (None not in shape or 0 in shape):  # the input's size is known
        size = 0 if 0 in shape else int(np.prod(shape, dtype=np.int64))
        return _known_reshape(size, target, specs[0].dtype)
    known = int(np.prod([d for d in shape or () if d is not None], dtype=np.int64))
    size = int(np.prod(target, dtype=np.int64))
    if -1 not in target and shape is not None and known and size % known:
        raise ValueError(
            f"Cannot reshape a tensor with a multiple of {known} elements to shape "
            f"{target} ({size} elements)"
        )
    # The -1 dim depends on the unknown input dims; every other dim is as given.
    return [Spec(tuple(None if d == -1 else d for d in target), specs[0].dtype)]


def _known_reshape(size: int, target, dtype) -> list[Spec]:
    known = int(np.prod([d for d in target if d != -1], dtype=np.int64))
    unknown = tuple(None if d == -1 else d for d in target)
    if -1 not in target or known == 0:  # TF leaves a -1 beside a 0 unknown
        if size != known and (size or -1 not in target):
            raise ValueError(
                f"Cannot reshape a tensor with {size} elements to shape "
                f"{format_shape(unknown)} ({known} elements)"
            )
        return [Spec(unknown, dtype)]
    if size % known:
        raise ValueError(f"Dimension size must be evenly divisible by {known} but is {size}")
    return [Spec(tuple(size // known if d == -1 else d for d in target), dtype)]


def _inferred_target(shape: tuple, target: tuple) -> tuple:
    """`target` with its -1 filled as TF's Reshape kernel does: beside a 0 in `target`,
    zero dims count for neither side (a [2, 0] input to [0, -1] gives [0, 2])."""
    if -1 not in target:
        return target
    zero = 0 in target
    product = int(np.prod([d for d in target if d != -1 and (d or not zero)], dtype=np.int64))
    elements = int(np.prod([d for d in shape if d or not zero], dtype=np.int64))
    if 0 not in shape and elements % product:
        raise ValueError(
            f"Input to reshape is a tensor with {elements} values, but the requested shape "
            f"requires a multiple of {product}"
        )
    return tuple(elements // product if d == -1 else d for d in target)


@register("Reshape", static=("shape",), shape=_reshape_shape)
def reshape(tensor, shape):
    target = _inferred_target(tensor.shape, tuple(int(d) for d in np.asarray(shape).reshape(-1)))
    size, wanted = int(np.prod(tensor.shape, dtype=np.int64)), int(np.prod(target, dtype=np.int64))
    if size != wanted:
        raise ValueError(
            f"Input to reshape is a tensor with {size} values, but the requested shape has {wanted}"
        )
    return tensor.reshape(target)


def _shape_of_shape(specs, attrs, static_values):
    rank = None if specs[0].shape is None else len(specs[0].shape)
    return [Spec((rank,), attrs["out_type"])]


@register("Shape", shape=_shape_of_shape, effects=SHAPE_ONLY)
def shape(input, *, out_type: np.dtype):
    # Shapes are concrete even while tracing: the result stays a numpy constant.
    return np.asarray(input.shape, dtype=out_type)


def _scalar_of(attr):
    return lambda specs, attrs, static_values: [Spec((), np.dtype(attrs[attr]))]


@register("Size", shape=_scalar_of("out_type"), effects=SHAPE_ONLY)
def size(input, *, out_type: np.dtype):
    return np.asarray(np.prod(input.shape, dtype=np.int64), dtype=out_type)


@register(
    "Rank",
    shape=lambda specs, attrs, static_values: [Spec((), np.dtype(np.int32))],
    effects=SHAPE_ONLY,
)
def rank(input):
    return np.asarray(input.ndim, dtype=np.int32)


def _expand_dims_shape(specs, attrs, static_values):
    rank = None if specs[0].shape is None else len(specs[0].shape)
    if rank is not None and static_values[1] is not None:
        a = int(np.asarray(static_values[1]).reshape(()))
        if not -rank - 1 <= a <= rank:  # TF's build-time check, also for unknown dims
            raise ValueError(f"dim {a} not in the interval [{-rank - 1}, {rank}].")
    return None  # the generic inference gives the shape


@register("ExpandDims", static=("dim",), shape=_expand_dims_shape)
def expand_dims(input, dim):
    a = int(np.asarray(dim).reshape(()))
    rank = input.ndim
    if not -rank - 1 <= a <= rank:
        raise ValueError(
            f"axis {a} is out of range for input of rank {rank}; "
            f"expected {-rank - 1} <= axis <= {rank}"
        )
    a %= rank + 1
    return input.reshape(input.shape[:a] + (1,) + input.shape[a:])


def _range_shape(specs, attrs, static_values):
    dtype = np.dtype(attrs["Tidx"])
    if any(v is None for v in static_values):
        return [Spec((None,), dtype)]  # a vector of unknown length
    return [Spec((_range_size(*static_values),), dtype)]  # never materialised at build time


def _range_size(start, limit, delta) -> int:
    start, limit, delta = (np.asarray(v).reshape(())[()] for v in (start, limit, delta))
    if delta == 0:
        raise ValueError("Requires delta != 0")
    if delta > 0 and start > limit:
        raise ValueError(f"Requires start <= limit when delta > 0: {start}/{limit}")
    if delta < 0 and start < limit:
        raise ValueError(f"Requires start >= limit when delta < 0: {start}/{limit}")
    if np.issubdtype(np.result_type(start, limit, delta), np.integer):
        start, limit, delta = int(start), int(limit), int(delta)  # no overflow in the size
        return (abs(limit - start) + abs(delta) - 1) // abs(delta)
    return int(np.ceil(np.abs((limit - start) / delta)))  # in the input dtype, as TF does


@register("Range", static=("start", "limit", "delta"), shape=_range_shape)
def range_(start, limit, delta, *, Tidx: np.dtype):
    size = _range_size(start, limit, delta)
    start, delta = (np.asarray(v).reshape(()) for v in (start, delta))
    return (start + delta * np.arange(size)).astype(Tidx)  # exactly `size` elements


def _pack_shape(specs, attrs, static_values):
    shape = merge_shapes((s.shape for s in specs), "From merging shape {} with other shapes.")
    if shape is None:
        return [Spec(None, specs[0].dtype)]
    axis, rank = attrs["axis"], len(shape)
    if not -rank - 1 <= axis <= rank:
        raise ValueError(
            f"axis {axis} is out of range for values of rank {rank}; expected "
            f"{-rank - 1} <= axis <= {rank}"
        )
    axis %= rank + 1
    return [Spec(shape[:axis] + (len(specs),) + shape[axis:], specs[0].dtype)]


@register("Pack", shape=_pack_shape)
def pack(*values, axis: int):
    if _strings(values[0]):
        return np.stack(values, axis=axis)  # strings, on the host
    return jnp.stack(values, axis=axis)


def _transpose_shape(specs, attrs, static_values):
    shape, perm = specs[0].shape, static_values[1]
    if perm is None:
        n = specs[1].shape[0] if specs[1].shape else None
        return [Spec(None if n is None else (None,) * n, specs[0].dtype)]
    perm = _permutation(perm, len(perm) if shape is None else len(shape))
    return [Spec(tuple(None if shape is None else shape[p] for p in perm), specs[0].dtype)]


def _permutation(perm, rank: int) -> tuple[int, ...]:
    perm = tuple(int(p) for p in np.asarray(perm).reshape(-1))
    if len(perm) != rank:
        raise ValueError(f"Dimension must be {rank} but is {len(perm)}")
    for p in perm:
        if not 0 <= p < rank:
            raise ValueError(f"perm dim {p} is out of range of input rank {rank}")
    if sorted(perm) != list(range(rank)):
        raise ValueError(
            f"perm {list(perm)} is not a permutation of 0..{rank - 1} for an input of rank {rank}"
        )
    return perm


@register("Transpose", static=("perm",), shape=_transpose_shape)
def transpose(x, perm):
    for p in np.asarray(perm).reshape(-1).tolist():  # TF's run-time text
        if not 0 <= p < np.ndim(x):
            raise ValueError(f"{p} is out of range [0 .. {np.ndim(x)})")
    perm = _permutation(perm, np.ndim(x))
    if _strings(x):
        return np.transpose(x, perm)  # strings, on the host
    return jnp.transpose(x, perm)


def _strided_slice_shape(specs, attrs, static_values):
    shape, spec = specs[0].shape, static_values[1:4]
    if shape is None or any(v is None for v in spec):
        return None  # the generic inference handles partial knowledge
    return [Spec(tuple(strided_slice_shape(shape, *spec, **attrs)), specs[0].dtype)]


register("StridedSlice", static=("begin", "end", "strides"), shape=_strided_slice_shape)(
    strided_slice
)


def _strings(x) -> bool:
    """Whether `x` is a host array of strings (numpy object dtype): jnp cannot hold it."""
    return isinstance(x, np.ndarray) and x.dtype == object


def _dims(dims) -> tuple[int, ...]:
    out = tuple(int(d) for d in np.asarray(dims).reshape(-1))
    if any(d < 0 for d in out):
        raise ValueError(f"dims must be non-negative, got {list(out)}")
    return out


def _fill_shape(specs, attrs, static_values):
    if static_values[0] is None:
        n = specs[0].shape[0] if specs[0].shape else None
        return [Spec(None if n is None else (None,) * n, specs[1].dtype)]
    return [Spec(_dims(static_values[0]), specs[1].dtype)]


@register("Fill", static=("dims",), shape=_fill_shape)
def fill(dims, value):
    if np.ndim(value) != 0:
        raise ValueError(f"value must be a scalar, got shape {list(np.shape(value))}")
    if _strings(value):
        return np.full(_dims(dims), value[()], dtype=object)
    return jnp.full(_dims(dims), value, dtype=value.dtype)


@register("ZerosLike", shape=same_as_first)
def zeros_like(x):
    return np.full(x.shape, b"", dtype=object) if _strings(x) else jnp.zeros_like(x)


@register("OnesLike", shape=same_as_first)
def ones_like(x):
    return jnp.ones_like(x)


def _select_shape(specs, attrs, static_values):
    """TF's SelectShapeFn: `cond` a scalar, a vector over the first dim, or the same shape."""
    data = merge_shapes([specs[1].shape, specs[2].shape])
    cond = specs[0].shape
    if cond is None or data is None or len(cond) == 0:
        return [Spec(data, specs[1].dtype)]
    if len(cond) != 1 or len(data) == 0:
        return [Spec(merge_shapes([data, cond]), specs[1].dtype)]
    merge_shapes([cond, data[:1]])
    return [Spec(data, specs[1].dtype)]


@register("Select", shape=_select_shape)
def select(condition, t, e):
    if t.shape != e.shape:
        raise ValueError(
            f"'then' and 'else' must have the same size. but received: "
            f"{list(t.shape)} vs. {list(e.shape)}"
        )
    if condition.ndim == 1 and t.ndim > 1:  # TF1: a vector picks whole rows
        if condition.shape[0] != t.shape[0]:
            raise ValueError(
                "Number of batches of 'then' must match size of 'cond', but saw: "
                f"{t.shape[0]} vs. {condition.shape[0]}"
            )
        condition = condition.reshape((-1,) + (1,) * (t.ndim - 1))
    elif condition.shape != t.shape and condition.ndim != 0:
        raise ValueError(
            f"'cond' and 'then' must have the same shape: {list(condition.shape)} "
            f"vs {list(t.shape)}"
        )
    if _strings(t):
        return np.where(condition, t, e)
    return jnp.where(condition, t, e)


def _where_shape(specs, attrs, static_values):
    rank = None if specs[0].shape is None else len(specs[0].shape)
    return [Spec((None, rank), np.dtype(np.int64))]


@register("Where", kind=HOST, shape=_where_shape)
def where(input):
    # The number of true elements is only known from the values: a host op.
    return np.argwhere(np.asarray(input)).astype(np.int64)


def _gather_shape(specs, attrs, static_values):
    params, indices, axis = specs[0].shape, specs[1].shape, static_values[2]
    if params is None or indices is None or axis is None:
        return [Spec(None, specs[0].dtype)]
    a = int(np.asarray(axis))
    if not -len(params) <= a < len(params):
        raise ValueError(f"Shape must be at least rank {a + 1} but is rank {len(params)}")
    a %= len(params)
    b = _batch_dims(attrs.get("batch_dims", 0), len(indices), a)
    return [Spec(params[:a] + indices[b:] + params[a + 1 :], specs[0].dtype)]


def _batch_dims(batch_dims: int, indices_rank: int, axis: int) -> int:
    b = batch_dims + indices_rank if batch_dims < 0 else batch_dims
    if not 0 <= b <= indices_rank:
        raise ValueError(
            f"batch_dims ({batch_dims}) must be in the range [{-indices_rank}, {indices_rank}]"
        )
    if b > axis:
        raise ValueError(f"batch_dims ({batch_dims}) must be less than or equal to axis ({axis}).")
    return b


@register("GatherV2", static=("axis",), shape=_gather_shape)
def gather_v2(params, indices, axis, *, batch_dims: int = 0):
    a = int(np.asarray(axis)) % max(np.ndim(params), 1)
    b = _batch_dims(batch_dims, np.ndim(indices), a)
    if _strings(params):
        if b:
            raise ValueError("batch_dims of string params is not supported")
        return np.take(params, np.asarray(indices), axis=a)

    def take(p, i):
        # Out-of-range indices give zeros, as TF does on GPUs (XLA cannot raise mid-kernel).
        return jnp.take(p, i, axis=a - b, mode="fill", fill_value=0)

    for _ in range(b):  # the leading batch dims of params and indices go together
        take = jax.vmap(take)
    return take(params, indices)


def _squeezed(shape, squeeze_dims) -> tuple:
    rank = len(shape)
    if not squeeze_dims:
        return tuple(d for d in shape if d != 1)
    axes = {a % rank for a in squeeze_dims}
    for a in axes:
        if shape[a] not in (1, None):
            raise ValueError(f"Can not squeeze dim[{a}], expected a dimension of 1, got {shape[a]}")
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _squeeze_shape(specs, attrs, static_values):
    shape, dims = specs[0].shape, attrs.get("squeeze_dims", ())
    if shape is None or (not dims and None in shape):
        return [Spec(None, specs[0].dtype)]
    return [Spec(_squeezed(shape, dims), specs[0].dtype)]


@register("Squeeze", shape=_squeeze_shape)
def squeeze(input, *, squeeze_dims: tuple = ()):
    return input.reshape(_squeezed(input.shape, squeeze_dims))


@register("StopGradient", shape=same_as_first)
def stop_gradient(input):
    return input if _strings(input) else jax.lax.stop_gradient(input)


@register("IdentityN", shape=lambda specs, attrs, static_values: list(specs))
def identity_n(*input):
    return tuple(input)


def _concat_shape(specs, attrs, static_values):
    axis = static_values[-1]
    shapes = [s.shape for s in specs[:-1]]
    if axis is None or any(s is None for s in shapes):
        rank = next((len(s) for s in shapes if s is not None), None)
        return [Spec(None if rank is None else (None,) * rank, specs[0].dtype)]
    rank = len(shapes[0])
    a = int(np.asarray(axis))
    if not -rank <= a < rank:
        raise ValueError(
            f"ConcatOp : Expected concatenating dimensions in the range "
            f"[{-rank}, {rank}), but got {a}"
        )
    a %= rank
    for s in shapes:
        if len(s) != rank:
            raise ValueError(f"Shape must be rank {rank} but is rank {len(s)}")
    rest = merge_shapes([s[:a] + s[a + 1 :] for s in shapes])
    sizes = [s[a] for s in shapes]
    total = None if None in sizes else sum(sizes)
    return [Spec(rest[:a] + (total,) + rest[a:], specs[0].dtype)]


def _check_concat(values, axis: int) -> None:
    """TF's run-time check: every dim but `axis` agrees with the first input's."""
    first = values[0].shape
    for i, v in enumerate(values[1:], 1):
        for d, (a, b) in enumerate(zip(first, v.shape)):
            if d != axis and a != b:
                raise ValueError(
                    f"ConcatOp : Dimension {d} in both shapes must be equal: shape[0] = "
                    f"{format_shape(first)} vs. shape[{i}] = {format_shape(v.shape)}"
                )


@register("ConcatV2", shape=_concat_shape, static=("@_static_inputs",))
def concat_v2(*values_and_axis, N: int, _static_inputs: tuple = ()):
    values, axis = values_and_axis[:-1], int(np.asarray(values_and_axis[-1]))
    _check_concat(values, axis % max(values[0].ndim, 1))
    if _strings(values[0]):
        return np.concatenate(values, axis=axis)
    return jnp.concatenate(values, axis=axis)


# -- Splitting, slicing, tiling, padding ------------------------------------------------------


def _axis(axis, rank: int, what: str = "axis") -> int:
    a = int(np.asarray(axis).reshape(()))
    if not -rank <= a < rank:
        raise ValueError(
            f"{what} {a} is out of range for input of rank {rank}; "
            f"expected {-rank} <= {what} < {rank}"
        )
    return a % rank


def _shape_n_shape(specs, attrs, static_values):
    return [Spec((None if s.shape is None else len(s.shape),), attrs["out_type"]) for s in specs]


@register("ShapeN", shape=_shape_n_shape, effects=SHAPE_ONLY)
def shape_n(*input, N: int, out_type: np.dtype):
    return tuple(np.asarray(x.shape, dtype=out_type) for x in input)


def _unpack_shape(specs, attrs, static_values):
    shape, num, axis = specs[0].shape, attrs["num"], attrs["axis"]
    if shape is None:
        return [Spec(None, specs[0].dtype)] * num
    a = _axis(axis, len(shape))
    if shape[a] is not None and shape[a] != num:
        raise ValueError(
            f"Dimension {a} must be {num} but is {shape[a]}: the input has "
            f"{shape[a]} values to unstack along axis {axis}"
        )
    return [Spec(shape[:a] + shape[a + 1 :], specs[0].dtype)] * num


@register("Unpack", shape=_unpack_shape)
def unpack(value, *, num: int, axis: int):
    a = _axis(axis, value.ndim)
    if value.shape[a] != num:
        raise ValueError(f"Input shape axis {a} must equal {num}, got shape {list(value.shape)}")
    lib = np if _strings(value) else jnp
    return tuple(lib.squeeze(x, a) for x in lib.split(value, num, axis=a))


def _split_sizes(shape, a: int, sizes) -> tuple:
    """`sizes` with one -1 resolved against dim `a` of `shape` (None when it is unknown)."""
    sizes = [int(s) for s in np.asarray(sizes).reshape(-1)]
    if sum(s == -1 for s in sizes) > 1 or any(s < -1 for s in sizes):
        raise ValueError(
            f"size_splits may contain at most one -1 and no other negative values, got {sizes}"
        )
    dim = shape[a]
    known = sum(s for s in sizes if s != -1)
    if dim is None:
        return tuple(None if s == -1 else s for s in sizes)
    if (-1 in sizes and known > dim) or (-1 not in sizes and known != dim):
        raise ValueError(
            f"Determined shape must either match input shape along split_dim "
            f"exactly if fully specified, or be less than the size of the input "
            f"along split_dim if not fully specified.  Got: {known} vs {dim}"
        )
    return tuple(dim - known if s == -1 else s for s in sizes)


def _split_outputs(shape, a, sizes, dtype):
    return [Spec(shape[:a] + (s,) + shape[a + 1 :], dtype) for s in sizes]


def _split_shape(specs, attrs, static_values):
    shape, num, axis = specs[1].shape, attrs["num_split"], static_values[0]
    if shape is None or axis is None:
        rank = None if shape is None else len(shape)
        return [Spec(None if rank is None else (None,) * rank, specs[1].dtype)] * num
    a = _axis(axis, len(shape))
    if shape[a] is not None and shape[a] % num:
        raise ValueError(
            f"Dimension size must be evenly divisible by {num} but is {shape[a]}\n\tNumber of "
            "ways to split should evenly divide the split dimension"
        )
    size = None if shape[a] is None else shape[a] // num
    return _split_outputs(shape, a, [size] * num, specs[1].dtype)


@register("Split", static=("split_dim",), shape=_split_shape)
def split(split_dim, value, *, num_split: int):
    a = _axis(split_dim, value.ndim)
    if value.shape[a] % num_split:
        raise ValueError(
            f"Number of ways to split should evenly divide the split dimension, "
            f"but got split_dim {a} (size = {value.shape[a]}) and num_split "
            f"{num_split}"
        )
    lib = np if _strings(value) else jnp
    return tuple(lib.split(value, num_split, axis=a))


def _split_v_shape(specs, attrs, static_values):
    shape, num = specs[0].shape, attrs["num_split"]
    sizes, axis = static_values[1], static_values[2]
    if shape is None or axis is None or sizes is None:
        rank = None if shape is None else len(shape)
        return [Spec(None if rank is None else (None,) * rank, specs[0].dtype)] * num
    a = _axis(axis, len(shape))
    return _split_outputs(shape, a, _split_sizes(shape, a, sizes), specs[0].dtype)


@register("SplitV", static=("size_splits", "split_dim"), shape=_split_v_shape)
def split_v(value, size_splits, split_dim, *, num_split: int):
    a = _axis(split_dim, value.ndim)
    sizes = _split_sizes(value.shape, a, size_splits)
    lib = np if _strings(value) else jnp
    return tuple(lib.split(value, np.cumsum(sizes)[:-1].tolist(), axis=a))


def _slice_bounds(shape, begin, size) -> list[tuple[int, int]]:
    begin = [int(b) for b in np.asarray(begin).reshape(-1)]
    size = [int(s) for s in np.asarray(size).reshape(-1)]
    if len(begin) != len(shape) or len(size) != len(shape):
        raise ValueError(
            f"Expected begin and size arguments to be 1-D tensors of size "
            f"{len(shape)}, but got shapes [{len(begin)}] and [{len(size)}] "
            f"instead."
        )
    out = []
    for i, (b, s, d) in enumerate(zip(begin, size, shape)):
        end = d if s == -1 else b + s
        if b < 0 or s < -1 or end > d:
            raise ValueError(
                f"Expected begin[{i}] in [0, {d}] and size[{i}] in "
                f"[0, {d - b}], but got {b} and {s}"
            )
        out.append((b, end))
    return out


def _check_slice_spec(begin_shape, size_shape, rank) -> None:
    """TF's Slice shape function: `begin` and `size` are vectors of the input's rank."""
    for vector in (begin_shape, size_shape):
        if vector is not None and len(vector) != 1:
            raise ValueError(f"Shape must be rank 1 but is rank {len(vector)}")
    b, n = (None if v is None else v[0] for v in (begin_shape, size_shape))
    if b is not None and n is not None and b != n:
        raise ValueError(
            f"Dimension 0 in both shapes must be equal, but are {b} and {n}. "
            f"Shapes are [{b}] and [{n}]."
        )
    n = b if b is not None else n
    if n is not None and rank is not None and n != rank:
        raise ValueError(f"Shape must be rank {n} but is rank {rank}")


def _slice_shape(specs, attrs, static_values):
    shape, begin, size = specs[0].shape, static_values[1], static_values[2]
    _check_slice_spec(specs[1].shape, specs[2].shape, None if shape is None else len(shape))
    if size is None:
        n = specs[2].shape[0] if specs[2].shape else None
        return [Spec(None if n is None else (None,) * n, specs[0].dtype)]
    size = [int(s) for s in np.asarray(size).reshape(-1)]
    if shape is not None and None not in shape and begin is not None:
        return [Spec(tuple(e - b for b, e in _slice_bounds(shape, begin, size)), specs[0].dtype)]
    begin = None if begin is None else [int(b) for b in np.asarray(begin).reshape(-1)]
    dims = []
    for i, s in enumerate(size):
        d = None if shape is None else shape[i]
        dims.append(s if s != -1 else (None if d is None or begin is None else d - begin[i]))
    return [Spec(tuple(dims), specs[0].dtype)]


@register("Slice", static=("begin", "size"), shape=_slice_shape)
def slice_(input, begin, size):
    bounds = _slice_bounds(input.shape, begin, size)
    return input[tuple(slice(b, e) for b, e in bounds)]


def _multiples(multiples, rank: int, at_build: bool = False) -> tuple[int, ...]:
    m = tuple(int(v) for v in np.asarray(multiples).reshape(-1))
    if len(m) != rank and at_build:
        raise ValueError(f"Shape must be rank {rank} but is rank {len(m)}")
    if len(m) != rank:
        raise ValueError(
            f"Expected multiples argument to be a vector of length {rank} but got length {len(m)}"
        )
    if any(v < 0 for v in m):
        raise ValueError(f"Expected multiples to be non-negative, got {list(m)}")
    return m


def _tile_shape(specs, attrs, static_values):
    shape, m = specs[0].shape, static_values[1]
    if m is None or shape is None:
        n = len(shape) if shape is not None else (specs[1].shape or (None,))[0]
        return [Spec(None if n is None else (None,) * n, specs[0].dtype)]
    m = _multiples(m, len(shape), at_build=True)
    return [Spec(tuple(None if d is None else d * k for d, k in zip(shape, m)), specs[0].dtype)]


@register("Tile", static=("multiples",), shape=_tile_shape)
def tile(input, multiples):
    m = _multiples(multiples, input.ndim)
    return np.tile(input, m) if _strings(input) else jnp.tile(input, m)


def _paddings(paddings, rank: int) -> tuple[tuple[int, int], ...]:
    p = np.asarray(paddings)
    if p.shape != (rank, 2):
        raise ValueError(
            f"The first dimension of paddings must be the rank of inputs "
            f"{rank}, and the second 2: got paddings of shape {list(p.shape)}"
        )
    if (p < 0).any():
        raise ValueError(f"Paddings must be non-negative, got {p.tolist()}")
    return tuple((int(a), int(b)) for a, b in p)


def _check_paddings_spec(paddings_shape, rank) -> None:
    """TF's Pad shape function: `paddings` is [rank of the input, 2]."""
    if paddings_shape is None:
        return
    if len(paddings_shape) != 2:
        raise ValueError(f"Shape must be rank 2 but is rank {len(paddings_shape)}")
    n, pair = paddings_shape
    if pair is not None and pair != 2:
        raise ValueError(f"Dimension must be 2 but is {pair}")
    if n is not None and rank is not None and n != rank:
        raise ValueError(f"Shape must be rank {n} but is rank {rank}")


def _pad_shape(specs, attrs, static_values):
    shape, p = specs[0].shape, static_values[1]
    _check_paddings_spec(specs[1].shape, None if shape is None else len(shape))
    if p is not None and (np.asarray(p) < 0).any():
        raise ValueError("Paddings must be non-negative")
    if p is None or shape is None:
        n = len(shape) if shape is not None else (specs[1].shape or (None,))[0]
        return [Spec(None if n is None else (None,) * n, specs[0].dtype)]
    p = _paddings(p, len(shape))
    mode = attrs.get("mode")
    if mode is not None:
        _check_mirror(shape, p, mode)
    return [
        Spec(tuple(None if d is None else d + a + b for d, (a, b) in zip(shape, p)), specs[0].dtype)
    ]


@register("Pad", static=("paddings",), shape=_pad_shape)
@moves_strings
def pad(input, paddings):
    return jnp.pad(input, _paddings(paddings, input.ndim))


@register("PadV2", static=("paddings",), shape=_pad_shape)
@moves_strings
def pad_v2(input, paddings, constant_values):
    if np.ndim(constant_values) != 0:
        raise ValueError(
            f"constant_values must be a scalar, got shape {list(np.shape(constant_values))}"
        )
    return jnp.pad(input, _paddings(paddings, input.ndim), constant_values=constant_values)


def _check_mirror(shape, paddings, mode: str) -> None:
    limit = 0 if mode == "SYMMETRIC" else 1
    for i, (d, (a, b)) in enumerate(zip(shape, paddings)):
        if d is not None and max(a, b) > d - limit:
            raise ValueError(
                f"paddings must be no greater than the dimension size: {a}, {b} "
                f"greater than {d - limit} ({mode} mode, dimension {i})"
            )


@register("MirrorPad", static=("paddings",), shape=_pad_shape)
@moves_strings
def mirror_pad(input, paddings, *, mode: str):
    p = _paddings(paddings, input.ndim)
    _check_mirror(input.shape, p, mode)
    return jnp.pad(input, p, mode="reflect" if mode == "REFLECT" else "symmetric")


# -- One-hot, gathers and scatters by index tuples, reversal ----------------------------------


@register("OneHot", static=("depth",))
def one_hot(indices, depth, on_value, off_value, *, axis: int = -1):
    d = int(np.asarray(depth).reshape(()))
    if d < 0:
        raise ValueError(f"depth must be non-negative, got: {d}")
    a = indices.ndim if axis == -1 else axis
    if not 0 <= a <= indices.ndim:
        raise ValueError(
            f"Expected axis to be -1 or between [0, {indices.ndim}).  But received: {axis}"
        )
    hot = jnp.expand_dims(indices, a) == jnp.arange(d, dtype=indices.dtype).reshape(
        (d,) + (1,) * (indices.ndim - a)
    )
    return jnp.where(hot, on_value, off_value)


def _index_tuple(indices):
    return tuple(jnp.moveaxis(indices, -1, 0))


def _check_nd(params_shape, indices_shape, what: str) -> int:
    if len(indices_shape) < 1:
        raise ValueError(f"indices must be at least a vector, got shape {list(indices_shape)}")
    k = indices_shape[-1]
    if k is not None and k > len(params_shape):
        raise ValueError(
            f"indices.shape[-1] must be <= {what}.rank, but saw "
            f"indices shape: {list(indices_shape)} and {what} shape: "
            f"{list(params_shape)}"
        )
    return k


# flowgraph-specific: TF builds `gather_nd(..., batch_dims > 0)` from reshapes around GatherNd.
declare(
    "BatchGatherNd",
    inputs=("params: Tparams", "indices: Tindices"),
    outputs=("output: Tparams",),
    attrs=("Tparams: type", "Tindices: {int16, int32, int64}", "batch_dims: int >= 1"),
)


@register("BatchGatherNd")
def batch_gather_nd(params, indices, *, batch_dims: int):
    if params.shape[:batch_dims] != indices.shape[:batch_dims]:
        raise ValueError(
            f"batch dimensions of params {list(params.shape[:batch_dims])} "
            f"and indices {list(indices.shape[:batch_dims])} must match"
        )
    # The leading batch_dims dimensions pair up: one gather per batch element.
    inner = gather_nd
    for _ in range(batch_dims):
        inner = jax.vmap(inner)
    return inner(jnp.asarray(params), jnp.asarray(indices))


@register("GatherNd")
@moves_strings
def gather_nd(params, indices):
    _check_nd(params.shape, indices.shape, "params")
    # Out-of-range index tuples give zeros, as TF does on GPUs (XLA cannot raise mid-kernel).
    params = jnp.asarray(params)
    return params.at[_index_tuple(indices)].get(mode="fill", fill_value=0)


def _scatter_check(indices, updates, shape) -> None:
    k = _check_nd(shape, indices.shape, "output")
    want = tuple(indices.shape[:-1]) + tuple(shape[k:])
    if tuple(updates.shape) != want:
        raise ValueError(
            f"The outer {indices.ndim - 1} dimensions of indices.shape="
            f"{list(indices.shape)} must match the outer {indices.ndim - 1} "
            f"dimensions of updates.shape={list(updates.shape)}, and the inner "
            f"dimensions must match those of the output shape {list(shape)}"
        )


def _scatter_nd_shape(specs, attrs, static_values):
    if static_values[2] is None:
        n = specs[2].shape[0] if specs[2].shape else None
        return [Spec(None if n is None else (None,) * n, specs[1].dtype)]
    if specs[0].shape is None or specs[1].shape is None:
        return [Spec(_dims(static_values[2]), specs[1].dtype)]
    return None  # from the kernel


@register("ScatterNd", static=("shape",), shape=_scatter_nd_shape)
def scatter_nd(indices, updates, shape):
    dims = _dims(shape)
    _scatter_check(indices, updates, dims)
    out = jnp.zeros(dims, updates.dtype)
    return out.at[_index_tuple(indices)].add(updates, mode="drop")  # duplicates add up


@register("TensorScatterUpdate")
def tensor_scatter_update(tensor, indices, updates):
    _scatter_check(indices, updates, tensor.shape)
    return jnp.asarray(tensor).at[_index_tuple(indices)].set(updates, mode="drop")


@register("TensorScatterAdd")
def tensor_scatter_add(tensor, indices, updates):
    _scatter_check(indices, updates, tensor.shape)
    return jnp.asarray(tensor).at[_index_tuple(indices)].add(updates, mode="drop")


@register("TensorScatterSub")
def tensor_scatter_sub(tensor, indices, updates):
    _scatter_check(indices, updates, tensor.shape)
    return jnp.asarray(tensor).at[_index_tuple(indices)].add(-updates, mode="drop")


def _reverse_axes(axis, rank: int) -> tuple[int, ...]:
    axes = np.asarray(axis).reshape(-1).tolist()
    for i, a in enumerate(axes):
        if not -rank <= a < rank:  # TF's text, its missing bracket included
            raise ValueError(f"'axis'[{i}] = {a} is out of valid range [0, {rank - 1}")
    axes = [a % rank for a in axes]
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis {sorted(axes)} specified more than once")
    return tuple(axes)


def _reverse_shape(specs, attrs, static_values):
    if specs[0].shape is not None and static_values[1] is not None:
        _reverse_axes(static_values[1], len(specs[0].shape))
    return [specs[0]]


@register("ReverseV2", static=("axis",), shape=_reverse_shape)
def reverse_v2(tensor, axis):
    axes = _reverse_axes(axis, tensor.ndim)
    return np.flip(tensor, axes) if _strings(tensor) else jnp.flip(tensor, axes)


@register("ReverseSequence", shape=same_as_first)
@moves_strings
def reverse_sequence(input, seq_lengths, *, seq_dim: int, batch_dim: int = 0):
    steps = jnp.arange(input.shape[seq_dim])
    lengths = seq_lengths.astype(steps.dtype)[:, None]  # [batch, time]
    index = jnp.where(steps < lengths, lengths - 1 - steps, steps)
    shape = [1] * input.ndim
    shape[batch_dim], shape[seq_dim] = index.shape[0], index.shape[1]
    if batch_dim > seq_dim:
        index = index.T
    index = jnp.broadcast_to(index.reshape(shape), input.shape)
    return jnp.take_along_axis(input, index, axis=seq_dim)


# -- Data-dependent sizes (host): unique, set difference, partitions, stitching ---------------


def _unique_shape(specs, attrs, static_values):
    idx = Spec(specs[0].shape, np.dtype(attrs["out_idx"]))
    return [Spec((None,), specs[0].dtype), idx]


def _unique(x, out_idx):
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"unique expects a 1D vector, got shape {list(x.shape)}")
    _, first, inverse, counts = np.unique(
        x, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(first, kind="stable")  # TF keeps the order of first occurrence
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return x[first[order]], rank[inverse.reshape(-1)].astype(out_idx), counts[order]


@register("Unique", kind=HOST, shape=_unique_shape)
def unique(x, *, out_idx: np.dtype):
    y, idx, _ = _unique(x, out_idx)
    return y, idx


@register(
    "UniqueWithCounts",
    kind=HOST,
    shape=lambda specs, attrs, static_values: (
        _unique_shape(specs, attrs, static_values) + [Spec((None,), np.dtype(attrs["out_idx"]))]
    ),
)
def unique_with_counts(x, *, out_idx: np.dtype):
    y, idx, counts = _unique(x, out_idx)
    return y, idx, counts.astype(out_idx)


def _list_diff_shape(specs, attrs, static_values):
    return [Spec((None,), specs[0].dtype), Spec((None,), np.dtype(attrs["out_idx"]))]


@register("ListDiff", kind=HOST, shape=_list_diff_shape)
def list_diff(x, y, *, out_idx: np.dtype):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"x and y must be 1-D, got shapes {list(x.shape)} and {list(y.shape)}")
    keep = np.flatnonzero(~np.isin(x, y))
    return x[keep], keep.astype(out_idx)


def _dynamic_partition_shape(specs, attrs, static_values):
    data, parts = specs[0].shape, specs[1].shape
    rest = None if data is None or parts is None else data[len(parts) :]
    return [Spec(None if rest is None else (None,) + rest, specs[0].dtype)] * attrs[
        "num_partitions"
    ]


@register("DynamicPartition", kind=HOST, shape=_dynamic_partition_shape)
def dynamic_partition(data, partitions, *, num_partitions: int):
    data, partitions = np.asarray(data), np.asarray(partitions)
    if data.shape[: partitions.ndim] != partitions.shape:
        raise ValueError(
            f"data.shape must start with partitions.shape, got data.shape = "
            f"{list(data.shape)}, partitions.shape = {list(partitions.shape)}"
        )
    bad = partitions[(partitions < 0) | (partitions >= num_partitions)]
    if bad.size:
        raise ValueError(
            f"partitions has value {bad.flat[0]} which is not in [0, {num_partitions})"
        )
    flat = data.reshape((-1,) + data.shape[partitions.ndim :])
    parts = partitions.reshape(-1)
    return tuple(flat[parts == p] for p in range(num_partitions))


def _dynamic_stitch_shape(specs, attrs, static_values):
    n = attrs["N"]
    indices, data = specs[:n], specs[n:]
    if indices[0].shape is None or data[0].shape is None:
        return [Spec(None, data[0].dtype)]
    return [Spec((None,) + data[0].shape[len(indices[0].shape) :], data[0].dtype)]


@register("DynamicStitch", kind=HOST, shape=_dynamic_stitch_shape)
def dynamic_stitch(*indices_and_data, N: int):
    indices = [np.asarray(i) for i in indices_and_data[:N]]
    data = [np.asarray(d) for d in indices_and_data[N:]]
    rest = data[0].shape[indices[0].ndim :]
    size = max((int(i.max()) + 1 for i in indices if i.size), default=0)
    out = np.zeros((size,) + rest, dtype=data[0].dtype)
    for i, d in zip(indices, data):
        if d.shape != i.shape + rest:
            raise ValueError(
                f"data shape {list(d.shape)} must start with indices shape "
                f"{list(i.shape)} and end with {list(rest)}"
            )
        out[i.reshape(-1)] = d.reshape((-1,) + rest)  # later entries win, as in TF
    return out


# -- Sorting, broadcasting, ranges, bit casts --------------------------------------------------


def _top_k_shape(specs, attrs, static_values):
    shape, k = specs[0].shape, static_values[1]
    if shape is None:
        return [Spec(None, specs[0].dtype), Spec(None, np.dtype(np.int32))]
    if not shape:
        raise ValueError("input must be at least 1-D")
    k = None if k is None else int(np.asarray(k))
    if k is not None and k < 0:
        raise ValueError(
            f"Dimension size, given by scalar input 1, must be non-negative but is {k}"
        )
    if k is not None and shape[-1] is not None and shape[-1] < k:
        raise ValueError(f"input must have last dimension >= k = {k} but is {shape[-1]}")
    out = shape[:-1] + (k,)
    return [Spec(out, specs[0].dtype), Spec(out, np.dtype(np.int32))]


@register("TopKV2", static=("k",), shape=_top_k_shape)
def top_k_v2(input, k, *, sorted: bool = True):
    k = int(np.asarray(k))
    if input.shape[-1] < k:
        raise ValueError(f"input must have at least k columns. Had {input.shape[-1]}, needed {k}")
    # lax.top_k orders ties by lower index first, as TF does.
    values, indices = jax.lax.top_k(input, k)
    return values, indices.astype(np.int32)


def _broadcast_dims(shape, target, what: str) -> None:
    if len(shape) > len(target):
        raise ValueError(
            f"Rank of input ({len(shape)}) must be no greater than rank of "
            f"output shape ({len(target)})."
        )
    for d, t in zip(shape[::-1], target[::-1]):
        if d not in (1, t, None) and t is not None:
            raise ValueError(f"Dimensions must be equal, but are {d} and {t}")


def _broadcast_to_shape(specs, attrs, static_values):
    target = static_values[1]
    if target is None:
        n = specs[1].shape[0] if specs[1].shape else None
        return [Spec(None if n is None else (None,) * n, specs[0].dtype)]
    target = _dims(target)
    if specs[0].shape is not None:
        _broadcast_dims(specs[0].shape, target, "BroadcastTo")
    return [Spec(target, specs[0].dtype)]


@register("BroadcastTo", static=("shape",), shape=_broadcast_to_shape)
@moves_strings
def broadcast_to(input, shape):
    target = _dims(shape)
    if len(input.shape) <= len(target) and any(
        d not in (1, t) for d, t in zip(input.shape[::-1], target[::-1])
    ):
        raise ValueError(
            f"Incompatible shapes: {format_shape(input.shape)} vs. {format_shape(target)}"
        )
    _broadcast_dims(input.shape, target, "BroadcastTo")
    return jnp.broadcast_to(input, target)


def _broadcast_args_shape(specs, attrs, static_values):
    a, b = (s.shape[0] if s.shape else None for s in specs)
    return [Spec((None if a is None or b is None else max(a, b),), specs[0].dtype)]


@register("BroadcastArgs", static=("s0", "s1"), shape=_broadcast_args_shape)
def broadcast_args(s0, s1):
    a, b = (tuple(int(d) for d in np.asarray(s).reshape(-1)) for s in (s0, s1))
    try:
        out = np.broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(f"Incompatible shapes: {list(a)} vs. {list(b)}") from None
    return np.asarray(out, dtype=np.asarray(s0).dtype)


def _lin_space_shape(specs, attrs, static_values):
    num = static_values[2]
    return [Spec((None if num is None else int(np.asarray(num)),), specs[0].dtype)]


@register("LinSpace", static=("num",), shape=_lin_space_shape)
def lin_space(start, stop, num):
    n = int(np.asarray(num))
    if n <= 0:
        raise ValueError(f"Requires num > 0: {n}")
    if n == 1:
        return jnp.reshape(start, (1,))
    step = (stop - start) / (n - 1)
    values = start + step * jnp.arange(n, dtype=start.dtype)
    return values.at[-1].set(stop)  # the last value is exactly `stop`, as in TF


def _bitcast_shape(specs, attrs, static_values):
    src, dst = np.dtype(specs[0].dtype), np.dtype(attrs["type"])
    shape = specs[0].shape
    if shape is None or src.itemsize == dst.itemsize:
        return [Spec(shape, dst)]
    if src.itemsize > dst.itemsize:
        return [Spec(shape + (src.itemsize // dst.itemsize,), dst)]
    ratio = dst.itemsize // src.itemsize
    if not shape or shape[-1] not in (ratio, None):
        raise ValueError(
            f"Cannot bitcast from {src.name} to {dst.name}: the last dimension "
            f"must be {ratio}, got shape {list(shape)}"
        )
    return [Spec(shape[:-1], dst)]


@register("Bitcast", shape=_bitcast_shape)
def bitcast(input, *, type: np.dtype):
    return jax.lax.bitcast_convert_type(input, type)


# -- Space <-> batch and space <-> depth ------------------------------------------------------


def _block_and_pads(block_shape, pads, what: str):
    block = np.asarray(block_shape).astype(np.int64).reshape(-1)
    pads = np.asarray(pads).astype(np.int64)
    if np.ndim(block_shape) != 1:
        raise ValueError(f"block_shape must be 1-D, got shape {list(np.shape(block_shape))}")
    if pads.shape != (len(block), 2):
        raise ValueError(
            f"{what} must have shape [{len(block)}, 2] (one row per block dimension), got "
            f"{list(pads.shape)}"
        )
    if (block < 1).any():
        raise ValueError(f"All values in block_shape must be positive, got {block.tolist()}")
    if (pads < 0).any():
        raise ValueError(f"All values in {what} must be non-negative, got {pads.tolist()}")
    return [int(b) for b in block], pads.tolist()


def _space_to_batch_dims(shape, block, pads):
    m = len(block)
    if len(shape) < m + 1:
        raise ValueError(f"input rank should be >= {m + 1} instead of {len(shape)}")
    spatial = []
    for i, (b, (lo, hi)) in enumerate(zip(block, pads)):
        d = shape[i + 1]
        if d is None:
            spatial.append(None)
            continue
        if (d + lo + hi) % b:
            raise ValueError(
                f"padded_shape[{i}]={d + lo + hi} is not divisible by block_shape[{i}]={b}"
            )
        spatial.append((d + lo + hi) // b)
    batch = None if shape[0] is None else shape[0] * int(np.prod(block))
    return (batch, *spatial, *shape[m + 1 :])


def _space_to_batch_nd_shape(specs, attrs, static_values):
    shape, (block, pads) = specs[0].shape, static_values[1:]
    if block is None or pads is None:
        return [Spec(shape and (None,) * len(shape), specs[0].dtype)]
    block, pads = _block_and_pads(block, pads, "paddings")
    if shape is None:
        return [Spec(None, specs[0].dtype)]
    return [Spec(_space_to_batch_dims(shape, block, pads), specs[0].dtype)]


@register("SpaceToBatchND", static=("block_shape", "paddings"), shape=_space_to_batch_nd_shape)
def space_to_batch_nd(input, block_shape, paddings):
    block, pads = _block_and_pads(block_shape, paddings, "paddings")
    m, shape = len(block), input.shape
    _space_to_batch_dims(shape, block, pads)  # validates
    x = jnp.pad(input, [(0, 0)] + pads + [(0, 0)] * (len(shape) - m - 1))
    padded, rest = x.shape[1 : m + 1], x.shape[m + 1 :]
    split = [shape[0]]
    for d, b in zip(padded, block):
        split += [d // b, b]
    x = x.reshape(split + list(rest))
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
    x = x.transpose(perm + list(range(1 + 2 * m, x.ndim)))
    out = [shape[0] * int(np.prod(block))] + [d // b for d, b in zip(padded, block)]
    return x.reshape(out + list(rest))


def _batch_to_space_dims(shape, block, crops):
    m = len(block)
    if len(shape) < m + 1:
        raise ValueError(f"input rank should be >= {m + 1} instead of {len(shape)}")
    n = int(np.prod(block))
    if shape[0] is not None and shape[0] % n:
        raise ValueError(
            f"Input batch dimension ({shape[0]}) is not divisible by product of block sizes ({n})"
        )
    spatial = []
    for i, (b, (lo, hi)) in enumerate(zip(block, crops)):
        d = shape[i + 1]
        if d is not None and d * b < lo + hi:
            raise ValueError(
                f"crops must be less than or equal to the block-multiplied input size: "
                f"crop_start[{i}]={lo}, crop_end[{i}]={hi}, block_shape[{i}]={b}, "
                f"input_shape[{i + 1}]={d}"
            )
        spatial.append(None if d is None else d * b - lo - hi)
    batch = None if shape[0] is None else shape[0] // n
    return (batch, *spatial, *shape[m + 1 :])


def _batch_to_space_nd_shape(specs, attrs, static_values):
    shape, (block, crops) = specs[0].shape, static_values[1:]
    if block is None or crops is None:
        return [Spec(shape and (None,) * len(shape), specs[0].dtype)]
    block, crops = _block_and_pads(block, crops, "crops")
    if shape is None:
        return [Spec(None, specs[0].dtype)]
    return [Spec(_batch_to_space_dims(shape, block, crops), specs[0].dtype)]


@register("BatchToSpaceND", static=("block_shape", "crops"), shape=_batch_to_space_nd_shape)
def batch_to_space_nd(input, block_shape, crops):
    block, crops = _block_and_pads(block_shape, crops, "crops")
    m, shape = len(block), input.shape
    out_shape = _batch_to_space_dims(shape, block, crops)  # validates
    batch, spatial, rest = out_shape[0], shape[1 : m + 1], shape[m + 1 :]
    x = input.reshape(block + [batch] + list(spatial) + list(rest))
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    x = x.transpose(perm + list(range(2 * m + 1, x.ndim)))
    x = x.reshape([batch] + [d * b for d, b in zip(spatial, block)] + list(rest))
    index = (slice(None),) + tuple(
        slice(lo, d * b - hi) for (lo, hi), d, b in zip(crops, spatial, block)
    )
    return x[index]


def _check_block_size(block_size: int) -> None:
    if block_size < 2:
        raise ValueError(f"Value for attr 'block_size' of {block_size} must be at least minimum 2")


def _to_nhwc(x, data_format):
    return x if data_format == "NHWC" else jnp.transpose(x, (0, 2, 3, 1))


def _from_nhwc(x, data_format):
    return x if data_format == "NHWC" else jnp.transpose(x, (0, 3, 1, 2))


def _space_to_depth_dims(shape, block_size, data_format):
    if len(shape) != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {len(shape)}")
    n, h, w, c = shape if data_format == "NHWC" else (shape[0], shape[2], shape[3], shape[1])
    for d in (h, w):
        if d is not None and d % block_size:
            raise ValueError(
                f"Image width {w} and height {h} should be divisible by block_size: {block_size}"
            )
    out = (n, h and h // block_size, w and w // block_size, c and c * block_size**2)
    return out if data_format == "NHWC" else (out[0], out[3], out[1], out[2])


def _depth_to_space_dims(shape, block_size, data_format):
    if len(shape) != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {len(shape)}")
    n, h, w, c = shape if data_format == "NHWC" else (shape[0], shape[2], shape[3], shape[1])
    if c is not None and c % block_size**2:
        raise ValueError(f"Dimension size must be evenly divisible by {block_size**2} but is {c}")
    out = (n, h and h * block_size, w and w * block_size, c and c // block_size**2)
    return out if data_format == "NHWC" else (out[0], out[3], out[1], out[2])


def _depth_shape(dims_fn):
    def shape_fn(specs, attrs, static_values):
        _check_block_size(attrs["block_size"])
        shape = specs[0].shape
        if shape is None:
            return [Spec(None, specs[0].dtype)]
        return [Spec(dims_fn(shape, attrs["block_size"], attrs["data_format"]), specs[0].dtype)]

    return shape_fn


@register("SpaceToDepth", shape=_depth_shape(_space_to_depth_dims))
def space_to_depth(input, *, block_size: int, data_format: str = "NHWC"):
    _space_to_depth_dims(input.shape, block_size, data_format)
    x = _to_nhwc(input, data_format)
    n, h, w, c = x.shape
    b = block_size
    x = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
    return _from_nhwc(x.reshape(n, h // b, w // b, b * b * c), data_format)


@register("DepthToSpace", shape=_depth_shape(_depth_to_space_dims))
def depth_to_space(input, *, block_size: int, data_format: str = "NHWC"):
    _depth_to_space_dims(input.shape, block_size, data_format)
    x = _to_nhwc(input, data_format)
    n, h, w, c = x.shape
    b = block_size
    x = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
    return _from_nhwc(x.reshape(n, h * b, w * b, c // (b * b)), data_format)
