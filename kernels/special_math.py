"""Special-function and division-safe math kernels: incomplete gamma and beta, zeta,
polygamma, Bessel functions, erfinv/ndtri, xlogy-style products, and nextafter."""

from __future__ import annotations

import jax.numpy as jnp
import jax.scipy.special as special
import numpy as np
from jax import lax

from kernels.registry import Spec, register
from kernels.shapes import broadcast, broadcast_shapes, same_as_first


def _zero_where(condition, value):
    # jnp.where with a safe branch: the unused side may be inf/nan and must not leak into
    # the gradient of the used one.
    return jnp.where(condition, jnp.zeros_like(value), value)


def _zeros(x, y):
    return jnp.zeros(jnp.broadcast_shapes(jnp.shape(x), jnp.shape(y)), jnp.result_type(x, y))


@register("Igamma", shape=broadcast)
def igamma(a, x):
    return special.gammainc(a, x)


@register("Igammac", shape=broadcast)
def igammac(a, x):
    return special.gammaincc(a, x)


def _three_way(specs, attrs, static_values):
    shape = broadcast_shapes(broadcast_shapes(specs[0].shape, specs[1].shape), specs[2].shape)
    return [Spec(shape, specs[0].dtype)]


@register("Betainc", shape=_three_way)
def betainc(a, b, x):
    # TF differentiates only in x (jax refuses a and b): they are held constant here.
    return special.betainc(lax.stop_gradient(a), lax.stop_gradient(b), x)


@register("Zeta", shape=broadcast)
def zeta(x, q):
    return special.zeta(x, q)


@register("Polygamma", shape=broadcast)
def polygamma(a, x):
    # psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x) for n >= 1; psi^(0) is the digamma function.
    # TF differentiates only in x, the order `a` being an integer.
    n = jnp.broadcast_to(lax.stop_gradient(a), jnp.broadcast_shapes(a.shape, x.shape))
    higher = jnp.where(jnp.fmod(n, 2) == 0, -1.0, 1.0) * jnp.exp(special.gammaln(n + 1))
    higher = higher * special.zeta(jnp.maximum(n, 1) + 1, x)
    return jnp.where(n == 0, special.digamma(x), higher).astype(x.dtype)


@register("Xlogy", shape=broadcast)
def xlogy(x, y):
    return jnp.where(x == 0, _zeros(x, y), x * jnp.log(jnp.where(x == 0, 1, y)))


@register("Xlog1py", shape=broadcast)
def xlog1py(x, y):
    return jnp.where(x == 0, _zeros(x, y), x * jnp.log1p(jnp.where(x == 0, 0, y)))


@register("Xdivy", shape=broadcast)
def xdivy(x, y):
    return jnp.where(x == 0, _zeros(x, y), x / jnp.where(x == 0, 1, y))


@register("DivNoNan", shape=broadcast)
def div_no_nan(x, y):
    return _zero_where(y == 0, x / jnp.where(y == 0, 1, y))


@register("MulNoNan", shape=broadcast)
def mul_no_nan(x, y):
    return _zero_where(y == 0, x * jnp.where(y == 0, 0, y))


@register("NextAfter", shape=broadcast)
def next_after(x1, x2):
    return jnp.nextafter(x1, x2)


@register("Erfinv", shape=same_as_first)
def erfinv(x):
    return special.erfinv(x)


@register("Ndtri", shape=same_as_first)
def ndtri(x):
    return special.ndtri(x)


@register("BesselI0", shape=same_as_first)
def bessel_i0(x):
    return special.i0(x)


@register("BesselI1", shape=same_as_first)
def bessel_i1(x):
    return special.i1(x)


@register("BesselI0e", shape=same_as_first)
def bessel_i0e(x):
    return special.i0e(x)


@register("BesselI1e", shape=same_as_first)
def bessel_i1e(x):
    return special.i1e(x)


@register("CumulativeLogsumexp", static=("axis",), shape=same_as_first)
def cumulative_logsumexp(x, axis, *, exclusive=False, reverse=False):
    a = int(np.asarray(axis))
    if not -x.ndim <= a < x.ndim:
        raise ValueError(f"axis {a} is out of range for input of rank {x.ndim}")
    a %= x.ndim
    out = lax.cumlogsumexp(x, axis=a, reverse=reverse)
    if not exclusive:
        return out
    # Exclusive: each position sums the ones strictly before it (log 0 = -inf at the start).
    first = jnp.full_like(lax.slice_in_dim(out, 0, 1, axis=a), -jnp.inf)
    if reverse:
        return jnp.concatenate([lax.slice_in_dim(out, 1, None, axis=a), first], axis=a)
    return jnp.concatenate([first, lax.slice_in_dim(out, 0, -1, axis=a)], axis=a)
