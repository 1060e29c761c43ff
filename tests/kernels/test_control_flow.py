"""The loop machinery behind While's gradients: the reversible while loop (stored and
recomputed carries) and the bucketed loop (stored residuals), against plain jax loops."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from kernels import control_flow


def _step(i, vs, rs, outer, _limit=None):
    (w,) = outer
    (h,) = vs
    return (jnp.sin(h) * w + h * 0.5 + i.astype(h.dtype) * 0.01,), rs


def _unrolled(h, w, trips):
    for i in range(trips):
        h = _step(jnp.int32(i), (h,), (), (w,))[0][0]
    return h


@pytest.mark.parametrize("checkpoint_bytes", [1, 40, 16 << 20])  # 1 or 5 carries, or all
def test_reversible_while_gradients_match_the_unrolled_loop(monkeypatch, checkpoint_bytes):
    monkeypatch.setattr(control_flow, "_CHECKPOINT_BYTES", checkpoint_bytes)
    h0 = jnp.array([0.3, -0.2], jnp.float32)
    w = jnp.array([0.9, 1.1], jnp.float32)

    def loop(h, w, trips):
        def pred(i, vs, rs, outer, limit):
            return i < limit

        out = control_flow._reversible_while(pred, _step, ((h,), ()), ((w,), trips))
        return jnp.sum(out[0][0] ** 2)

    for trips in (0, 1, 7):
        got = jax.jit(jax.grad(loop, (0, 1)))(h0, w, jnp.int32(trips))
        want = jax.grad(lambda h, w, n=trips: jnp.sum(_unrolled(h, w, n) ** 2), (0, 1))(h0, w)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _rnn_step(xs, w):
    def step(i, vs, rs):
        t, h, _ = vs
        h = jnp.tanh(lax.dynamic_index_in_dim(xs, i, 0, False) * w + h)
        return (t + 1, h, h * 2.0), rs  # the last: the element written at the counter

    return step


@pytest.mark.parametrize("count", [0, 1, 5, 8, 9, 13, 16])
def test_bucketed_loop_matches_the_counted_loop(count):
    xs = jnp.asarray(np.random.default_rng(0).normal(size=(20, 3)), jnp.float32)
    buffer = jnp.full((20, 3), 7.0, jnp.float32)  # rows not written keep their values
    init = (jnp.int32(0), jnp.zeros(3, jnp.float32), buffer)

    def bucketed(w, count):  # the count traced, as a run passes it
        out = control_flow._bucketed_loop(_rnn_step(xs, w), init, (), 16, count, {2: 2})
        return jnp.sum(out[1] ** 2) + jnp.sum(out[2] * jnp.arange(20.0)[:, None])

    def counted(w):
        out = control_flow._counted_loop(_rnn_step(xs, w), init, (), count, {2: 2})
        return jnp.sum(out[1] ** 2) + jnp.sum(out[2] * jnp.arange(20.0)[:, None])

    w = jnp.array([0.5, -1.0, 2.0], jnp.float32)
    n = jnp.int32(count)
    np.testing.assert_allclose(jax.jit(bucketed)(w, n), counted(w), rtol=1e-5)
    np.testing.assert_allclose(jax.jit(jax.grad(bucketed))(w, n), jax.grad(counted)(w), rtol=1e-5)
