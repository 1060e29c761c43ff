"""TensorFlow's derivatives at kinks and ties, as `jax.custom_jvp` rules on kernels.

Where a function has no derivative (relu at 0, a tie of `maximum`), jax picks its own
subgradient (relu'(0) = 0.5, a tie splits the gradient); TensorFlow's registered gradients
pick another (relu'(0) = 0, a tie gives all to `x`). These wrappers give a kernel TF's
choice while keeping it one jax function, so the generic VJP node, the fused forward and
backward segment, and higher derivatives all follow it at no extra cost.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np


def _real_float(*values) -> bool:
    return all(jnp.issubdtype(jnp.result_type(v), jnp.floating) for v in values)


def with_derivative(primal: Callable, passes: Callable) -> Callable:
    """`primal(x)` whose tangent is `where(passes(x), t, 0)` for real float `x`.

    `passes(x)` is where TF's gradient lets the incoming gradient through (Relu: x > 0).
    """
    rule = jax.custom_jvp(primal)

    @rule.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return primal(x), jnp.where(passes(x), t, jnp.zeros_like(t))

    return lambda x: rule(x) if _real_float(x) else primal(x)


def with_scaled_derivative(primal: Callable, slope: Callable) -> Callable:
    """`primal(x)` whose tangent is `slope(x) * t` for real float `x` (TF's formula)."""
    rule = jax.custom_jvp(primal)

    @rule.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return primal(x), slope(x) * t

    return lambda x: rule(x) if _real_float(x) else primal(x)


def select_derivative(primal: Callable, x_wins: Callable) -> Callable:
    """Binary `primal(x, y)` whose tangent is `tx` where `x_wins(x, y)`, else `ty`.

    TF's MaximumGrad/MinimumGrad: at a tie the whole gradient goes to `x`.
    """
    rule = jax.custom_jvp(primal)

    @rule.defjvp
    def _jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        return primal(x, y), jnp.where(x_wins(x, y), tx, ty)

    return lambda x, y: rule(x, y) if _real_float(x, y) else primal(x, y)


@jax.custom_jvp
def _first_max(windows):
    return jnp.max(windows, axis=-1)


@_first_max.defjvp
def _first_max_jvp(primals, tangents):
    (windows,), (t,) = primals, tangents
    first = jnp.argmax(windows, axis=-1)[..., None]
    chosen = jnp.arange(windows.shape[-1]) == first
    return jnp.max(windows, axis=-1), jnp.sum(jnp.where(chosen, t, 0), axis=-1)


@jax.custom_jvp
def _every_max(windows):
    return jnp.max(windows, axis=-1)


@_every_max.defjvp
def _every_max_jvp(primals, tangents):
    (windows,), (t,) = primals, tangents
    top = jnp.max(windows, axis=-1)
    return top, jnp.sum(jnp.where(windows == top[..., None], t, 0), axis=-1)


# Tiles with at most this many elements in a window take `tile_max`'s unrolled form.
_UNROLLED_WINDOW = 32


def _window_slices(tiles, axes):
    """Each window position's slice of `tiles` (window axes dropped), in row-major order."""
    slices = [tiles]
    for axis in sorted(axes, reverse=True):  # the last axis first: the others keep their place
        slices = [
            jax.lax.index_in_dim(s, i, axis, keepdims=False)
            for s in slices
            for i in range(tiles.shape[axis])
        ]
    # slices ran over the last window axis slowest; reorder to row-major (first axis slowest)
    sizes = [tiles.shape[a] for a in sorted(axes, reverse=True)]
    order = np.arange(len(slices)).reshape(sizes).transpose().reshape(-1)
    return [slices[i] for i in order]


def _first_max_index(tiles, axes):
    """(max, index of its first occurrence in row-major window order) over the window axes
    `axes` of `tiles`, in one elementwise pass over the windows' slices: a NaN wins (the
    first one), as jnp.max and jnp.argmax have it."""
    slices = _window_slices(tiles, axes)
    dtype = np.int8 if len(slices) <= 127 else np.int32
    best, index = slices[0], jnp.zeros(slices[0].shape, dtype)
    for i, s in enumerate(slices[1:], 1):
        take = (s > best) | (jnp.isnan(s) & ~jnp.isnan(best))
        best = jnp.where(take, s, best)
        index = jnp.where(take, np.array(i, dtype), index)
    return best, index


def _window_iota(tiles, axes, dtype):
    """Each element's row-major position within its window, shaped to broadcast on tiles."""
    shape = [1] * tiles.ndim
    for a in axes:
        shape[a] = tiles.shape[a]
    position = np.zeros(shape, dtype)
    for a in axes:
        stride = int(np.prod([tiles.shape[b] for b in axes if b > a]))
        idx = np.arange(tiles.shape[a]).reshape([-1 if d == a else 1 for d in range(tiles.ndim)])
        position = position + (idx * stride).astype(dtype)
    return position


@partial(jax.custom_jvp, nondiff_argnums=(1,))
def _tile_first_max(tiles, axes):
    return _first_max_index(tiles, axes)[0]


@_tile_first_max.defjvp
def _tile_first_max_jvp(axes, primals, tangents):
    (tiles,), (t,) = primals, tangents
    top, index = _first_max_index(tiles, axes)
    chosen = _window_iota(tiles, axes, index.dtype) == jnp.expand_dims(index, axes)
    return top, jnp.sum(jnp.where(chosen, t, jnp.zeros_like(t)), axis=axes)


def tile_max(tiles, axes):
    """The max over the window axes `axes` of `tiles` (non-overlapping windows reshaped
    into their own axes, e.g. [n, h/2, 2, w/2, 2, c]), with TF's MaxPoolGrad rule: a
    window's gradient goes to its first max in row-major order. No transpose: the max and
    the first max's position come from one pass over the windows' slices, and the
    gradient is one select against that position."""
    count = int(np.prod([tiles.shape[a] for a in axes]))
    if not _real_float(tiles) or count > _UNROLLED_WINDOW:
        rest = tuple(a for a in range(tiles.ndim) if a not in axes)
        moved = jnp.transpose(tiles, rest + tuple(axes))
        return window_max(moved.reshape(moved.shape[: len(rest)] + (-1,)))
    return _tile_first_max(tiles, tuple(axes))


def window_max(windows, every_tie: bool = False):
    """The max over the last axis, with TF's gradient at ties.

    TF's MaxPoolGrad gives a window's gradient to its first max; MaxPool3DGrad gives the
    whole gradient to every element equal to the max (`every_tie`).
    """
    if not _real_float(windows):
        return jnp.max(windows, axis=-1)
    return _every_max(windows) if every_tie else _first_max(windows)
