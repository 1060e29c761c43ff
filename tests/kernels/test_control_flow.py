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


def test_dense_list_reserve_holds_no_elements_in_its_unknown_dims():
    buffer = control_flow.dense_list_reserve(
        np.array([-1, 4], np.int32), np.int32(3), element_dtype=np.dtype(np.float32)
    )
    assert buffer.shape == (3, 0, 4) and buffer.dtype == np.float32


def test_a_deferred_write_allocates_the_buffer_for_its_item():
    reserved = jnp.zeros((3, 0, 2), jnp.float32)
    item = jnp.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    out = control_flow.dense_list_set_item(reserved, jnp.int32(1), item, _deferred=True)
    want = np.zeros((3, 3, 2), np.float32)
    want[1] = item
    np.testing.assert_array_equal(out, want)
    again = control_flow.dense_list_set_item(out, jnp.int32(2), item * 2, _deferred=True)
    want[2] = item * 2
    np.testing.assert_array_equal(again, want)


def test_decided_buffers_take_the_shapes_one_step_writes():
    def step(i, vs, rs):
        h, buffer, _ = vs
        written = control_flow.dense_list_set_item(buffer, i, h * 2.0, _deferred=True)
        return (h + 1.0, written, h[0]), rs  # the last: an element the loop stacks

    h = jnp.ones((5, 2), jnp.float32)
    reserved = (jnp.zeros((4, 0, 2), jnp.float32), jnp.zeros((4, 0), jnp.float32))
    out = control_flow._decided_buffers(step, (h, *reserved), (), (1, 2))
    assert [x.shape for x in out] == [(5, 2), (4, 5, 2), (4, 2)]
    assert not np.any(out[1]) and not np.any(out[2])


def test_shapes_a_body_writes_are_recorded_and_their_buffers_kept():
    def body(h, shapes):  # as While's body yields a shape it writes (its `invariant`)
        return h * 2.0, np.asarray(h.shape, np.int32)

    elements = {}
    wrapped = control_flow._yielding_shapes(body, (1,), elements)
    shapes = jnp.zeros((3, 2), jnp.int32)
    h, kept = jax.jit(lambda h: wrapped(h, shapes))(jnp.ones((4, 2)))
    np.testing.assert_array_equal(h, np.full((4, 2), 2.0))
    assert kept.shape == (3, 2) and not np.any(kept)
    np.testing.assert_array_equal(elements[1], [4, 2])
