"""Large segments compiled as chains of executables (`device/split_compile.py`): the same
values as one executable, donation kept, one chain per signature, effects left whole."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import flowgraph as tf
from device import split_compile


def _layers(h, w, n=12):
    for _ in range(n):
        h = jnp.tanh(h @ w + 1.0)
    return h


@pytest.fixture
def small_chunks(monkeypatch):
    """Splits every segment, into chunks of 7 equations."""
    monkeypatch.setattr(split_compile, "MIN_NODES", 1)
    monkeypatch.setattr(split_compile, "CHUNK_EQUATIONS", 7)
    steps = []
    real = split_compile.steps
    monkeypatch.setattr(split_compile, "steps", lambda *a: steps.append(real(*a)) or steps[-1])
    return steps


def test_a_chain_gives_the_values_of_one_executable(small_chunks):
    w = np.random.RandomState(0).randn(5, 5).astype(np.float32) * 0.3
    x = np.random.RandomState(1).randn(3, 5).astype(np.float32)
    chained = split_compile.jit(_layers, size=split_compile.MIN_NODES)
    np.testing.assert_allclose(chained(x, w), jax.jit(_layers)(x, w), rtol=1e-6, atol=1e-6)
    assert len(small_chunks) == 1 and len(small_chunks[0]) >= 3
    chained(x + 1, w)  # the same signature: no new chain
    assert len(small_chunks) == 1
    np.testing.assert_allclose(chained(x[:2], w), jax.jit(_layers)(x[:2], w), rtol=1e-6)
    assert len(small_chunks) == 2  # a new batch size: one new chain


def test_a_donated_argument_is_donated_to_its_last_reader(small_chunks):
    def step(w, x):
        new_w = w - 0.1 * _layers(x, w).sum() * w
        return new_w, (new_w * 2).sum()

    w = jnp.ones((4, 4), jnp.float32) * 0.1
    x = jnp.ones((4, 4), jnp.float32)
    want = jax.jit(step)(w, x)
    chained = split_compile.jit(step, size=split_compile.MIN_NODES, donate_argnums=(0,))
    got = chained(w, x)
    assert w.is_deleted() and not x.is_deleted()
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-6)


def test_small_segments_and_placed_ones_are_plain_jit():
    assert hasattr(split_compile.jit(_layers, size=split_compile.MIN_NODES - 1), "lower")
    sharding = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    placed = split_compile.jit(_layers, size=10**6, out_shardings=sharding)
    assert hasattr(placed, "lower")


def test_a_program_with_effects_runs_whole(small_chunks):
    seen = []

    def noisy(x, w):
        jax.debug.callback(lambda v: seen.append(float(v)), x.sum())
        return _layers(x, w)

    x, w = np.ones((2, 5), np.float32), np.eye(5, dtype=np.float32)
    out = split_compile.jit(noisy, size=split_compile.MIN_NODES)(x, w)
    jax.effects_barrier()
    np.testing.assert_allclose(out, jax.jit(_layers)(x, w), rtol=1e-6)
    assert seen == [10.0] and not small_chunks


def _train(steps=3, batch=8):
    """An MLP trained with Adam: its losses and final weights."""
    rng = np.random.RandomState(0)
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, 6])
        h = tf.layers.dense(x, 16, activation=tf.nn.relu, name="h")
        y = tf.layers.dense(h, 1, name="y")
        loss = tf.reduce_mean(tf.square(y - tf.reduce_sum(x, axis=1, keepdims=True)))
        train = tf.train.AdamOptimizer(0.01).minimize(loss)
        init = tf.global_variables_initializer()
        with tf.Session() as sess:
            sess.run(init)
            losses = [
                sess.run([train, loss], {x: rng.rand(batch - i % 2, 6).astype(np.float32)})[1]
                for i in range(steps)
            ]
            return losses, sess.run(tf.trainable_variables())


def test_a_split_training_step_trains_as_one_executable(small_chunks):
    with pytest.MonkeyPatch.context() as m:
        m.setattr(split_compile, "MIN_NODES", 10**9)
        want_losses, want_vars = _train()
    losses, variables = _train()
    assert small_chunks and max(len(s) for s in small_chunks) >= 5
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    for got, want in zip(variables, want_vars):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_a_static_input_gets_a_chain_per_value(small_chunks):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        shape = tf.placeholder(tf.int32, [2])
        h = tf.reshape(x, shape)
        for _ in range(6):
            h = tf.tanh(h * 0.5 + 0.25)
        out = tf.reduce_sum(h, axis=1)
        with tf.Session() as sess:
            values = np.arange(12, dtype=np.float32) / 12
            for rows in (3, 4, 3):
                want = values.reshape(rows, -1)
                for _ in range(6):
                    want = np.tanh(want * 0.5 + 0.25)
                got = sess.run(out, {x: values, shape: [rows, 12 // rows]})
                np.testing.assert_allclose(got, want.sum(axis=1), rtol=1e-6)
    assert len(small_chunks) == 2  # one chain per shape value, reused for the third run


def test_pytree_arguments_are_flattened_and_keyed_by_structure(small_chunks):
    def fn(pair, w):
        return _layers(pair[0], w) + pair[1]

    w = np.eye(5, dtype=np.float32)
    a, b = np.ones((2, 5), np.float32), np.full((2, 5), 2.0, np.float32)
    chained = split_compile.jit(fn, size=split_compile.MIN_NODES, donate_argnums=())
    np.testing.assert_allclose(chained((a, b), w), jax.jit(fn)((a, b), w), rtol=1e-6)
    np.testing.assert_allclose(chained((a[:1], b[:1]), w), jax.jit(fn)((a[:1], b[:1]), w))
    assert len(small_chunks) == 2
