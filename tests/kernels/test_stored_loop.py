"""The loop with stored residuals behind While's gradients at a run-time trip count:
values and gradients against a `lax.scan` of exactly the count's steps (and finite
differences), at counts from 0 to the bound, with steps past the count that would
produce Inf/NaN, closed-over traced values, checkify-ed bodies and TensorArray rows."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.experimental import checkify

from kernels import stored_loop as stored_loop_module
from kernels.stored_loop import stored_loop

BOUND = 8
RNG = np.random.default_rng(0)
XS = jnp.asarray(RNG.normal(size=(12, 4, 3)), jnp.float32)
W = jnp.asarray(RNG.normal(size=(3, 5)) / 2, jnp.float32)
U = jnp.asarray(RNG.normal(size=(5, 5)) / 3, jnp.float32)
H0 = jnp.asarray(RNG.normal(size=(4, 5)), jnp.float32)


def _cell(h, x, w, u):
    return jnp.tanh(x @ w + h @ u)


def _stored_loss(w, u, h0, xs, count):
    """An RNN over `count` steps of `xs`, its states written to rows 2.. of a buffer."""

    def step(i, carry):
        t, h = carry
        h = _cell(h, lax.dynamic_index_in_dim(xs, t, 0, False), w, u)
        return (t + 1, h), (h * 2.0,)

    buffer = jnp.full((12, 4, 5), 0.5, jnp.float32)  # rows not written keep their values
    (_, h), (out,) = stored_loop(step, count, BOUND, (jnp.int32(0), h0), (buffer,), (2,))
    return jnp.sum(h**2) + jnp.sum(out * jnp.arange(12.0)[:, None, None])


def _scanned_loss(w, u, h0, xs, count: int):
    """The same loss as a `lax.scan` of exactly `count` steps."""

    def cell(h, x):
        h = _cell(h, x, w, u)
        return h, h * 2.0

    h, hs = lax.scan(cell, h0, xs[:count])
    out = jnp.full((12, 4, 5), 0.5, jnp.float32).at[2 : 2 + count].set(hs)
    return jnp.sum(h**2) + jnp.sum(out * jnp.arange(12.0)[:, None, None])


@pytest.mark.parametrize("count", [0, 1, 3, BOUND - 1, BOUND])
def test_values_and_gradients_match_a_scan_of_the_count(count):
    got = jax.jit(jax.value_and_grad(_stored_loss, (0, 1, 2)))(W, U, H0, XS, jnp.int32(count))
    want = jax.value_and_grad(_scanned_loss, (0, 1, 2))(W, U, H0, XS, count)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    for g, h in zip(got[1], want[1]):
        np.testing.assert_allclose(g, h, rtol=1e-5, atol=1e-6)


def test_gradients_match_finite_differences():
    count = jnp.int32(5)
    loss = jax.jit(lambda w: _stored_loss(w, U, H0, XS, count))
    grad = np.asarray(jax.jit(jax.grad(lambda w: _stored_loss(w, U, H0, XS, count)))(W))
    w = np.asarray(W, np.float64)
    numerical = np.zeros_like(w)
    for index in np.ndindex(w.shape):
        step = np.zeros_like(w)
        step[index] = 1e-2
        up, down = (
            loss(jnp.asarray(w + step, jnp.float32)),
            loss(jnp.asarray(w - step, jnp.float32)),
        )
        numerical[index] = (float(up) - float(down)) / 2e-2
    np.testing.assert_allclose(grad, numerical, rtol=2e-2, atol=2e-2)


def test_steps_past_the_count_never_run():
    # Past row 4 the inputs are NaN and the step divides by zero: a step run (or stored,
    # or differentiated) there would put NaN or Inf into the loss or the gradients.
    xs = XS.at[4:].set(jnp.nan)

    def loss(w, count):
        def step(i, carry):
            (h,) = carry
            x = lax.dynamic_index_in_dim(xs, i, 0, False)
            h = _cell(h, x, w, U) + jnp.log(4.0 - i.astype(jnp.float32)) / (4 - i)
            return (h,), ()

        (h,), _ = stored_loop(step, count, BOUND, (H0,), (), ())
        return jnp.sum(h**2)

    for count in range(5):
        value, grad = jax.jit(jax.value_and_grad(loss))(W, jnp.int32(count))
        assert np.isfinite(value) and np.all(np.isfinite(grad)), count
    value, grad = jax.jit(jax.value_and_grad(loss))(W, jnp.int32(5))
    assert not np.isfinite(value)  # the fifth step itself does produce them


def test_values_the_step_closes_over_get_their_gradients():
    def loss(w, u):
        def step(i, carry):  # w and u are closed over, not passed
            (h,) = carry
            return (_cell(h, XS[0], w, u),), ()

        (h,), _ = stored_loop(step, jnp.int32(3), BOUND, (H0,), (), ())
        return jnp.sum(h)

    def unrolled(w, u):
        h = H0
        for _ in range(3):
            h = _cell(h, XS[0], w, u)
        return jnp.sum(h)

    got = jax.jit(jax.grad(loss, (0, 1)))(W, U)
    want = jax.grad(unrolled, (0, 1))(W, U)
    for g, h in zip(got, want):
        np.testing.assert_allclose(g, h, rtol=1e-5, atol=1e-6)


def test_a_checkified_step_keeps_its_checks_and_its_gradients():
    def loss(w, count):
        def step(i, carry):
            (h,) = carry
            checkify.check(jnp.all(jnp.isfinite(h)), "h must be finite")
            return (_cell(h, XS[i], w, U),), ()

        (h,), _ = stored_loop(step, count, BOUND, (H0,), (), ())
        return jnp.sum(h)

    checked = checkify.checkify(jax.grad(loss), errors=checkify.user_checks)
    error, grad = jax.jit(checked)(W, jnp.int32(4))
    assert error.get() is None
    want = jax.grad(lambda w: _scanned_loss_plain(w, 4))(W)
    np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-6)
    error, _ = jax.jit(checkify.checkify(loss, errors=checkify.user_checks))(
        W.at[0, 0].set(jnp.nan), jnp.int32(4)
    )
    assert "h must be finite" in error.get()


def _scanned_loss_plain(w, count: int):
    h, _ = lax.scan(lambda h, x: (_cell(h, x, w, U), None), H0, XS[:count])
    return jnp.sum(h)


def test_a_carry_that_is_a_residual_is_stored_once(monkeypatch):
    # tanh keeps its output for the pullback: the step's new h, which the next step
    # receives as its h (a residual too). Both come from one buffer of carries.
    seen = {}
    original = stored_loop_module._Loop.residuals

    def recording(self, pull, carries, dynamic):
        stored = original(self, pull, carries, dynamic)
        seen["kinds"] = [kind for kind, _ in self.kinds]
        return stored

    monkeypatch.setattr(stored_loop_module._Loop, "residuals", recording)
    jax.jit(jax.grad(_stored_loss, (0, 1)))(W, U, H0, XS, jnp.int32(3))  # u needs h_prev
    assert "in" in seen["kinds"] and "out" in seen["kinds"]


def test_undifferentiated_it_runs_the_count():
    got = jax.jit(_stored_loss)(W, U, H0, XS, jnp.int32(6))
    np.testing.assert_allclose(got, _scanned_loss(W, U, H0, XS, 6), rtol=1e-6)


def test_elements_past_a_buffers_end_are_dropped():
    def loss(w):
        def step(i, carry):
            (h,) = carry
            h = jnp.tanh(h * w + 1.0)
            return (h,), (h,)

        buffer = jnp.full((5, 2), 9.0, jnp.float32)
        (h,), (out,) = stored_loop(step, jnp.int32(5), BOUND, (jnp.ones(2),), (buffer,), (2,))
        return out, jnp.sum(out * jnp.arange(1.0, 6.0)[:, None])

    def wanted(w):
        h, rows = jnp.ones(2), []
        for _ in range(3):  # rows 2, 3, 4; the elements of steps 3 and 4 fall past the end
            h = jnp.tanh(h * w + 1.0)
            rows.append(h)
        out = jnp.concatenate([jnp.full((2, 2), 9.0), jnp.stack(rows)])
        return out, jnp.sum(out * jnp.arange(1.0, 6.0)[:, None])

    w = jnp.array([0.4, -0.9], jnp.float32)
    np.testing.assert_allclose(jax.jit(loss)(w)[0], wanted(w)[0], rtol=1e-6)
    got = jax.jit(jax.grad(lambda w: loss(w)[1]))(w)
    np.testing.assert_allclose(got, jax.grad(lambda w: wanted(w)[1])(w), rtol=1e-5)
