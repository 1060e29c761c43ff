"""Array kernels: constants, placeholders, identity, shapes, reshaping, slicing, stacking."""

from __future__ import annotations

import numpy as np
import jax.numpy as jnp

from kernels.errors import InvalidArgumentError
from kernels.registry import Spec, register
from kernels.shapes import same_as_first
from kernels.strided_slice import strided_slice, strided_slice_shape


def _const_shape(specs, attrs, static_values):
    return [Spec(attrs["value"].shape, attrs["dtype"])]


@register("Const", shape=_const_shape)
def const(*, value: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # Returned as numpy: a concrete value inside a traced segment, so it can feed static inputs.
    return value


def _placeholder_shape(specs, attrs, static_values):
    return [Spec(attrs["shape"], attrs["dtype"])]


def _format_shape(shape: tuple | None) -> str:
    return "<unknown>" if shape is None else "[" + ",".join(
        "?" if d is None else str(d) for d in shape) + "]"


@register("Placeholder", shape=_placeholder_shape)
def placeholder(*, dtype: np.dtype, shape: tuple | None):
    raise InvalidArgumentError(
        None, None,
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
    return None  # known target shape: jax.eval_shape checks the element count


@register("Reshape", static=("shape",), shape=_reshape_shape)
def reshape(tensor, shape):
    return tensor.reshape(tuple(int(d) for d in shape))


def _shape_of_shape(specs, attrs, static_values):
    rank = None if specs[0].shape is None else len(specs[0].shape)
    return [Spec((rank,), attrs["out_type"])]


@register("Shape", shape=_shape_of_shape)
def shape(input, *, out_type: np.dtype):
    # Shapes are concrete even while tracing: the result stays a numpy constant.
    return np.asarray(input.shape, dtype=out_type)


def _scalar_of(attr):
    return lambda specs, attrs, static_values: [Spec((), np.dtype(attrs[attr]))]


@register("Size", shape=_scalar_of("out_type"))
def size(input, *, out_type: np.dtype):
    return np.asarray(np.prod(input.shape, dtype=np.int64), dtype=out_type)


@register("Rank", shape=lambda specs, attrs, static_values: [Spec((), np.dtype(np.int32))])
def rank(input):
    return np.asarray(input.ndim, dtype=np.int32)


@register("ExpandDims", static=("axis",))
def expand_dims(input, axis):
    a = int(np.asarray(axis).reshape(()))
    rank = input.ndim
    if not -rank - 1 <= a <= rank:
        raise ValueError(f"axis {a} is out of range for input of rank {rank}; "
                         f"expected {-rank - 1} <= axis <= {rank}")
    a %= rank + 1
    return input.reshape(input.shape[:a] + (1,) + input.shape[a:])


@register("Range", static=("start", "limit", "delta"))
def range_(start, limit, delta, *, Tidx: np.dtype):
    if np.asarray(delta) == 0:
        raise ValueError("Requires delta != 0")
    return np.arange(np.asarray(start), np.asarray(limit), np.asarray(delta), dtype=Tidx)


@register("Pack")
def pack(*values, axis: int):
    return jnp.stack(values, axis=axis)


def _strided_slice_shape(specs, attrs, static_values):
    shape, spec = specs[0].shape, static_values[1:4]
    if shape is None or None in shape or any(v is None for v in spec):
        return None  # the generic inference handles partial knowledge
    return [Spec(tuple(strided_slice_shape(shape, *spec, **attrs)), specs[0].dtype)]


register("StridedSlice", static=("begin", "end", "strides"), shape=_strided_slice_shape)(
    strided_slice
)
