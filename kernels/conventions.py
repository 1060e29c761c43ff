"""TensorFlow's derivatives at kinks and ties, as `jax.custom_jvp` rules on kernels.

Where a function has no derivative (relu at 0, a tie of `maximum`), jax picks its own
subgradient (relu'(0) = 0.5, a tie splits the gradient); TensorFlow's registered gradients
pick another (relu'(0) = 0, a tie gives all to `x`). These wrappers give a kernel TF's
choice while keeping it one jax function, so the generic VJP node, the fused forward and
backward segment, and higher derivatives all follow it at no extra cost.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp


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


def window_max(windows, every_tie: bool = False):
    """The max over the last axis, with TF's gradient at ties.

    TF's MaxPoolGrad gives a window's gradient to its first max; MaxPool3DGrad gives the
    whole gradient to every element equal to the max (`every_tie`).
    """
    if not _real_float(windows):
        return jnp.max(windows, axis=-1)
    return _every_max(windows) if every_tie else _first_max(windows)
