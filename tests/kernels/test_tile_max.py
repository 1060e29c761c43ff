"""`conventions.tile_max`: max pooling of non-overlapping windows without a transpose.

Checked against numpy's windows-last form: the max, the gradient (TF's MaxPoolGrad gives a
window's gradient to its first max in row-major order; a NaN wins, the first one) and a
second derivative, for one, two and three window axes, with ties and NaNs.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kernels import conv
from kernels.conventions import tile_max


def _windows(x, ksize):
    """numpy: x cropped to whole windows, [..., window elements] in row-major order."""
    x = x[tuple(slice(0, s // k * k) for s, k in zip(x.shape, ksize))]
    shape = [d for s, k in zip(x.shape, ksize) for d in (s // k, k)]
    tiles = x.reshape(shape)
    order = list(range(0, tiles.ndim, 2)) + list(range(1, tiles.ndim, 2))
    return np.transpose(tiles, order).reshape(tiles.shape[::2] + (-1,))


def _expected(x, ksize, g):
    """numpy's max pool of x and its gradient given g (first max; the first NaN wins)."""
    w = _windows(x, ksize)
    first = np.where(np.isnan(w).any(-1), np.isnan(w).argmax(-1), w.argmax(-1))
    out = np.take_along_axis(w, first[..., None], -1)[..., 0]
    dw = np.zeros_like(w)
    np.put_along_axis(dw, first[..., None], g[..., None], -1)
    # back to x's layout
    spatial = [s // k for s, k in zip(x.shape, ksize)]
    tiles = dw.reshape(spatial + list(ksize))
    n = len(ksize)
    order = [i for pair in zip(range(n), range(n, 2 * n)) for i in pair]
    dx = np.zeros_like(x)
    crop = np.transpose(tiles, order).reshape([s * k for s, k in zip(spatial, ksize)])
    dx[tuple(slice(0, s) for s in crop.shape)] = crop
    return out, dx


CASES = [
    ((2, 8, 8, 3), (1, 2, 2, 1)),
    ((2, 9, 7, 3), (1, 3, 3, 1)),  # cropped: VALID
    ((1, 4, 6, 2), (1, 2, 3, 1)),
    ((2, 6, 6, 4), (1, 1, 2, 1)),
    ((2, 4, 4, 4), (1, 2, 2, 2)),  # a window over channels too
]


@pytest.mark.parametrize("shape,ksize", CASES)
def test_max_pool_value_and_gradient(shape, ksize):
    rng = np.random.default_rng(len(shape) + sum(ksize))
    out_shape = tuple(s // k for s, k in zip(shape, ksize))

    @jax.jit
    def pool_and_gradient(x, g):
        out, vjp = jax.vjp(lambda v: conv._max_pool(v, ksize, ksize, "VALID"), x)
        return out, vjp(g)[0]

    for values in ("random", "ties", "nan"):
        x = rng.normal(size=shape).astype(np.float32)
        if values == "ties":
            x = np.round(x).astype(np.float32)
        elif values == "nan":
            x[x > 1.0] = np.nan
        g = rng.normal(size=out_shape).astype(np.float32)
        out, dx = pool_and_gradient(x, g)
        want_out, want_dx = _expected(x, ksize, g)
        np.testing.assert_array_equal(np.asarray(out), want_out, err_msg=values)
        np.testing.assert_array_equal(np.asarray(dx), want_dx, err_msg=values)


def test_second_derivative_and_forward_mode():
    rng = np.random.default_rng(3)
    x = jnp.asarray(np.round(rng.normal(size=(2, 6, 6, 3)) * 2).astype(np.float32))
    g = jnp.asarray(rng.normal(size=(2, 3, 3, 3)).astype(np.float32))
    ksize = (1, 2, 2, 1)

    def pool(v):
        return conv._max_pool(v, ksize, ksize, "VALID")

    # d/dx of |pool'(x)^T g|^2 + |pool(x)|^2: the mask is piecewise constant, so only the
    # second term's gradient 2 * pool'(x)^T pool(x) remains.
    def f(v):
        return jnp.sum(jax.vjp(pool, v)[1](g)[0] ** 2) + jnp.sum(pool(v) ** 2)

    _, want = _expected(np.asarray(x), ksize, 2 * np.asarray(jax.jit(pool)(x)))
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.grad(f))(x)), want)
    t = jnp.asarray(rng.normal(size=x.shape).astype(np.float32))
    _, tangent = jax.jit(lambda a, b: jax.jvp(pool, (a,), (b,)))(x, t)
    # forward mode: the tangent at each window's first max
    w = _windows(np.asarray(x), ksize)
    first = w.argmax(-1)[..., None]
    want_t = np.take_along_axis(_windows(np.asarray(t), ksize), first, -1)[..., 0]
    np.testing.assert_array_equal(np.asarray(tangent), want_t)


def test_tile_max_has_no_transpose():
    """The compiled pool and its gradient: no transpose (the windows-last form's copy)."""
    x = jnp.zeros((4, 8, 8, 16), jnp.float32)
    tiles, axes = conv._tiles(x, (1, 2, 2, 1))

    def f(t):
        out, vjp = jax.vjp(lambda v: tile_max(v, axes), t)
        return vjp(out)[0]

    text = jax.jit(f).lower(tiles).as_text()
    assert "transpose" not in text and "argmax" not in text
