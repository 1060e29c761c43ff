"""XLA compile options per platform (`device/compile_options.py`)."""

from __future__ import annotations

import types

import jax
import jax.numpy as jnp
import numpy as np

import flowgraph as tf
from device import compile_options


def _donated_step(w, v, x):
    """One SGD step of relu(x @ w) @ v: `v` is read by the forward and the backward pass."""

    def loss(w, v):
        return jnp.sum((jnp.maximum(x @ w, 0.0) @ v) ** 2)

    gw, gv = jax.grad(loss, argnums=(0, 1))(w, v)
    return w - 0.1 * gw, v - 0.1 * gv


def _parameter_copies(hlo: str) -> list[str]:
    entry = hlo[hlo.index("ENTRY") :]
    params = {line.split("=")[0].strip() for line in entry.splitlines() if "parameter(" in line}
    return [
        line.strip()
        for line in entry.splitlines()
        if " copy(" in line and line.split("copy(")[1].split(")")[0] in params
    ]


def _args(seed: int = 0):
    rng = np.random.default_rng(seed)
    return [
        jnp.asarray(rng.normal(size=s).astype(np.float32)) for s in ((16, 32), (32, 4), (8, 16))
    ]


def test_cpu_segments_get_the_options_and_others_none(monkeypatch):
    cpu = jax.devices("cpu")[0]
    assert compile_options.for_device(cpu) == dict(compile_options.CPU_OPTIONS)
    assert compile_options.for_device(types.SimpleNamespace(platform="gpu")) is None
    monkeypatch.setenv("FLOWGRAPH_XLA_CPU_OPTIONS", "0")
    assert compile_options.for_device(cpu) is None


def test_donated_weights_read_twice_are_not_copied_and_values_are_unchanged():
    lowered = jax.jit(_donated_step, donate_argnums=(0, 1)).lower(*_args())
    plain = lowered.compile()
    tuned = lowered.compile(compiler_options=compile_options.for_device(jax.devices("cpu")[0]))
    # XLA's default copies `v` before updating it in place; the options are why it does not.
    assert _parameter_copies(plain.as_text())
    assert not _parameter_copies(tuned.as_text())
    for a, b in zip(plain(*_args()), tuned(*_args())):
        np.testing.assert_array_equal(a, b)


def _train(steps: int = 3):
    tf.reset_default_graph()
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(8, 16)).astype(np.float32))
    w = tf.Variable(rng.normal(size=(16, 32)).astype(np.float32))
    v = tf.Variable(rng.normal(size=(32, 4)).astype(np.float32))
    loss = tf.reduce_sum(tf.square(tf.matmul(tf.nn.relu(tf.matmul(x, w)), v)))
    train = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([train, loss])[1] for _ in range(steps)]
        return losses, sess.run([w, v])


def test_sessions_compile_cpu_segments_with_the_options_same_values(monkeypatch):
    seen = []
    real_jit = jax.jit
    monkeypatch.setattr(
        jax, "jit", lambda *a, **k: seen.append(k.get("compiler_options")) or real_jit(*a, **k)
    )
    tuned = _train()
    assert dict(compile_options.CPU_OPTIONS) in seen
    monkeypatch.setenv("FLOWGRAPH_XLA_CPU_OPTIONS", "0")
    seen.clear()
    plain = _train()
    assert seen and not any(seen)
    np.testing.assert_array_equal(tuned[0], plain[0])
    for a, b in zip(tuned[1], plain[1]):
        np.testing.assert_array_equal(a, b)
