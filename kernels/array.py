"""Array kernels: constants, placeholders, shapes, reshaping, transposing, slicing, stacking."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.errors import InvalidArgumentError
from kernels.registry import HOST, Spec, register
from kernels.shapes import same_as_first
from kernels.strided_slice import strided_slice, strided_slice_shape


def merge_shapes(shapes, what: str = "shapes") -> tuple | None:
    """The most specific shape compatible with all of `shapes`; ValueError if there is none."""
    out = None
    for shape in shapes:
        if shape is None:
            continue
        if out is None:
            out = tuple(shape)
        elif len(out) != len(shape):
            raise ValueError(f"{what} must be equal rank, but are {len(out)} and {len(shape)}")
        else:
            out = tuple(_merge_dim(a, b, i, what) for i, (a, b) in enumerate(zip(out, shape)))
    return out


def _merge_dim(a, b, i: int, what: str):
    if a is not None and b is not None and a != b:
        raise ValueError(f"Dimension {i} in both {what} must be equal, but are {a} and {b}")
    return a if a is not None else b


def _const_shape(specs, attrs, static_values):
    return [Spec(attrs["value"].shape, attrs["dtype"])]


@register("Const", shape=_const_shape)
def const(*, value: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # Returned as numpy: a concrete value inside a traced segment, so it can feed static inputs.
    return value


def _placeholder_shape(specs, attrs, static_values):
    return [Spec(attrs["shape"], attrs["dtype"])]


def _format_shape(shape: tuple | None) -> str:
    return (
        "<unknown>"
        if shape is None
        else "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"
    )


@register("Placeholder", shape=_placeholder_shape)
def placeholder(*, dtype: np.dtype, shape: tuple | None):
    raise InvalidArgumentError(
        None,
        None,
        f"You must feed a value for placeholder tensor with dtype {dtype.name} and shape "
        f"{_format_shape(shape)}",
    )


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
    if shape is not None and None not in shape:
        return None  # fully known input: jax.eval_shape checks the element count
    known = int(np.prod([d for d in shape or () if d is not None], dtype=np.int64))
    size = int(np.prod(target, dtype=np.int64))
    if -1 not in target and shape is not None and known and size % known:
        raise ValueError(
            f"Cannot reshape a tensor with a multiple of {known} elements to shape "
            f"{target} ({size} elements)"
        )
    # The -1 dim depends on the unknown input dims; every other dim is as given.
    return [Spec(tuple(None if d == -1 else d for d in target), specs[0].dtype)]


@register("Reshape", static=("shape",), shape=_reshape_shape)
def reshape(tensor, shape):
    return tensor.reshape(tuple(int(d) for d in shape))


def _shape_of_shape(specs, attrs, static_values):
    rank = None if specs[0].shape is None else len(specs[0].shape)
    return [Spec((rank,), attrs["out_type"])]


@register("Shape", shape=_shape_of_shape, shape_only=True)
def shape(input, *, out_type: np.dtype):
    # Shapes are concrete even while tracing: the result stays a numpy constant.
    return np.asarray(input.shape, dtype=out_type)


def _scalar_of(attr):
    return lambda specs, attrs, static_values: [Spec((), np.dtype(attrs[attr]))]


@register("Size", shape=_scalar_of("out_type"), shape_only=True)
def size(input, *, out_type: np.dtype):
    return np.asarray(np.prod(input.shape, dtype=np.int64), dtype=out_type)


@register(
    "Rank", shape=lambda specs, attrs, static_values: [Spec((), np.dtype(np.int32))],
    shape_only=True,
)
def rank(input):
    return np.asarray(input.ndim, dtype=np.int32)


@register("ExpandDims", static=("axis",))
def expand_dims(input, axis):
    a = int(np.asarray(axis).reshape(()))
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
    shape = merge_shapes((s.shape for s in specs), "shapes of the values to pack")
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
    if sorted(perm) != list(range(rank)):
        raise ValueError(
            f"perm {list(perm)} is not a permutation of 0..{rank - 1} for an input of rank {rank}"
        )
    return perm


@register("Transpose", static=("perm",), shape=_transpose_shape)
def transpose(x, perm):
    perm = _permutation(perm, np.ndim(x))
    if _strings(x):
        return np.transpose(x, perm)  # strings, on the host
    return jnp.transpose(x, perm)


def _strided_slice_shape(specs, attrs, static_values):
    shape, spec = specs[0].shape, static_values[1:4]
    if shape is None or None in shape or any(v is None for v in spec):
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
    return [
        Spec(merge_shapes([specs[1].shape, specs[2].shape], "then/else shapes"), specs[1].dtype)
    ]


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
    return [Spec(params[:a] + indices + params[a + 1 :], specs[0].dtype)]


@register("GatherV2", static=("axis",), shape=_gather_shape)
def gather_v2(params, indices, axis, *, batch_dims: int = 0):
    a = int(np.asarray(axis))
    if _strings(params):
        return np.take(params, np.asarray(indices), axis=a)
    # Out-of-range indices give zeros, as TF does on GPUs (XLA cannot raise mid-kernel).
    return jnp.take(params, indices, axis=a, mode="fill", fill_value=0)


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
        raise ValueError(f"ConcatOp : Expected concatenating dimensions in the range "
                         f"[{-rank}, {rank}), but got {a}")
    a %= rank
    rest = merge_shapes([s[:a] + s[a + 1:] for s in shapes], "concat shapes")
    sizes = [s[a] for s in shapes]
    total = None if None in sizes else sum(sizes)
    return [Spec(rest[:a] + (total,) + rest[a:], specs[0].dtype)]


@register("ConcatV2", shape=_concat_shape, static_attr="static_inputs")
def concat_v2(*values_and_axis, N: int, static_inputs: tuple = ()):
    values, axis = values_and_axis[:-1], int(np.asarray(values_and_axis[-1]))
    if _strings(values[0]):
        return np.concatenate(values, axis=axis)
    return jnp.concatenate(values, axis=axis)
