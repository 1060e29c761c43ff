"""Index manipulation kernels: roll, sorted search, tensor diagonals, index unravelling,
permutation inversion, shape assertions, broadcasting select and max/min scatters."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.array import _axis, _index_tuple, _scatter_check
from kernels.errors import InvalidArgumentError
from kernels.registry import Spec, register
from kernels.shapes import broadcast_shapes, same_as_first


@register("Roll", static=("axis",), shape=same_as_first)
def roll(input, shift, axis):
    axes = [_axis(a, input.ndim) for a in np.asarray(axis).reshape(-1)]
    shifts = jnp.broadcast_to(jnp.asarray(shift).reshape(-1), (len(axes),))
    out = input
    for i, a in enumerate(axes):  # repeated axes add up, as in TF
        out = jnp.roll(out, shifts[i], axis=a)
    return out


def _bound(side: str):
    def kernel(sorted_inputs, values, *, out_type=np.int32):
        if sorted_inputs.ndim != 2 or values.ndim != 2:
            raise ValueError("sorted_inputs and values must be rank 2 ([batch, n])")
        if sorted_inputs.shape[0] != values.shape[0]:
            raise ValueError(
                "Leading dim_size of both tensors must match: "
                f"{sorted_inputs.shape[0]} and {values.shape[0]}"
            )
        search = jax.vmap(lambda s, v: jnp.searchsorted(s, v, side=side))
        return search(sorted_inputs, values).astype(out_type)

    return kernel


register("LowerBound")(_bound("left"))
register("UpperBound")(_bound("right"))


@register("Diag")
def diag(diagonal):
    flat = diagonal.reshape(-1)
    return jnp.diag(flat).reshape(diagonal.shape + diagonal.shape)


@register("DiagPart")
def diag_part(input):
    half = input.ndim // 2
    if input.ndim % 2 or input.shape[:half] != input.shape[half:]:
        raise ValueError(
            f"Invalid input shape {list(input.shape)}: the input must have even rank and its "
            "first half of dimensions must equal the second half"
        )
    n = int(np.prod(input.shape[:half]))
    return jnp.diagonal(input.reshape(n, n)).reshape(input.shape[:half])


@register("UnravelIndex")
def unravel_index(indices, dims):
    strides = jnp.cumprod(jnp.concatenate([jnp.ones(1, dims.dtype), dims[::-1][:-1]]))[::-1]
    coords = (indices[None] // strides.reshape((-1,) + (1,) * indices.ndim)) % dims.reshape(
        (-1,) + (1,) * indices.ndim
    )
    return coords.astype(indices.dtype)


@register("InvertPermutation")
def invert_permutation(x):
    if x.ndim != 1:
        raise ValueError(f"invert_permutation expects a 1-D vector, got shape {list(x.shape)}")
    return jnp.zeros_like(x).at[x].set(jnp.arange(x.shape[0], dtype=x.dtype))


def _ensure_shape_shape(specs, attrs, static_values):
    have, want = specs[0].shape, attrs["shape"]
    if have is None or want is None:
        return [Spec(want if have is None else have, specs[0].dtype)]
    if len(have) != len(want) or any(
        a is not None and b is not None and a != b for a, b in zip(have, want)
    ):
        raise ValueError(
            f"Shape {_dims(have)} is not compatible with expected shape {_dims(want)}."
        )
    return [Spec(tuple(a if a is not None else b for a, b in zip(have, want)), specs[0].dtype)]


def _dims(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


@register("EnsureShape", shape=_ensure_shape_shape)
def ensure_shape(input, *, shape):
    if shape is not None and (
        len(shape) != input.ndim
        or any(w is not None and w != d for w, d in zip(shape, input.shape))
    ):
        raise InvalidArgumentError(
            None,
            None,
            f"Shape of tensor input {_dims(input.shape)} is not compatible with "
            f"expected shape {_dims(shape)}.",
        )
    return input


def _select_v2_shape(specs, attrs, static_values):
    shape = broadcast_shapes(broadcast_shapes(specs[0].shape, specs[1].shape), specs[2].shape)
    return [Spec(shape, specs[1].dtype)]


@register("SelectV2", shape=_select_v2_shape)
def select_v2(condition, t, e):
    return jnp.where(condition, t, e)


@register("TensorScatterMax")
def tensor_scatter_max(tensor, indices, updates):
    _scatter_check(indices, updates, tensor.shape)
    return jnp.asarray(tensor).at[_index_tuple(indices)].max(updates, mode="drop")


@register("TensorScatterMin")
def tensor_scatter_min(tensor, indices, updates):
    _scatter_check(indices, updates, tensor.shape)
    return jnp.asarray(tensor).at[_index_tuple(indices)].min(updates, mode="drop")
