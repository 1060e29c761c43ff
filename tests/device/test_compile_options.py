"""XLA compile options per platform (`device/compile_options.py`)."""

from __future__ import annotations

import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import flowgraph as tf
from device import compile_options, executable_cache


@pytest.fixture(autouse=True)
def _no_executable_cache():
    """These tests watch `compile_options.jit`, the path of segments that the executable
    cache does not keep (its own pick: tests/device/test_executable_cache.py)."""
    before = executable_cache.configure(None)
    yield
    executable_cache.configure(before)


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
    # Region analysis alone (the model's small dots would also drop YNN fusions, which
    # rounds differently: the tests below check those values).
    monkeypatch.setattr(compile_options, "SMALL_DOT_FLOPS", -1)
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


class _Recording:
    """A `jax.jit` function that notes its compile options each time it is called."""

    def __init__(self, calls, fun, **kwargs):
        self._jitted = _real_jit(fun, **kwargs)
        self._options = kwargs.get("compiler_options")
        self._calls = calls

    def __call__(self, *args):
        self._calls.append(self._options)
        return self._jitted(*args)

    def trace(self, *args):
        return self._jitted.trace(*args)


_real_jit = jax.jit


def _dense_chain(monkeypatch, rows: int, width: int, layers: int = 4):
    """Runs tanh(h @ w + b) `layers` times on a fed [rows, width] batch, twice; returns
    the compile options of each segment call, the number of traces, the values, numpy's."""
    from device import lower

    calls, traces = [], []
    monkeypatch.setattr(jax, "jit", lambda fun, **k: _Recording(calls, fun, **k))
    real_run_nodes = lower.run_nodes
    monkeypatch.setattr(
        lower, "run_nodes", lambda *a, **k: traces.append(1) or real_run_nodes(*a, **k)
    )
    rng = np.random.default_rng(2)
    w_value = rng.normal(size=(width, width)).astype(np.float32) / width
    x_value = rng.normal(size=(rows, width)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, width])
        w, b = tf.constant(w_value), tf.constant(np.full(width, 0.1, np.float32))
        h = x
        for _ in range(layers):
            h = tf.tanh(tf.matmul(h, w) + b)
    with tf.Session(graph=graph) as sess:
        values = [sess.run(h, {x: x_value}) for _ in range(2)]
    expected = x_value.astype(np.float64)
    for _ in range(layers):
        expected = np.tanh(expected @ w_value + 0.1)
    return calls, len(traces), values, expected


def test_dot_flops_counts_dots_and_convolutions_also_inside_bodies():
    def f(a, b, image, kernel):
        conv = jax.lax.conv_general_dilated(
            image, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        looped = jax.lax.fori_loop(0, 3, lambda i, m: m @ b, a)
        return a @ b, conv, looped

    jaxpr = jax.make_jaxpr(f)(
        np.ones((8, 64), np.float32),
        np.ones((64, 64), np.float32),
        np.ones((2, 5, 5, 3), np.float32),
        np.ones((3, 3, 3, 4), np.float32),
    )
    # a dot: 2*M*K*N; a convolution: 2 * outputs * (window * input features)
    assert sorted(compile_options.dot_flops(jaxpr)) == sorted(
        [2 * 8 * 64 * 64, 2 * (2 * 5 * 5 * 4) * (3 * 3 * 3), 2 * 8 * 64 * 64]
    )


def test_a_segment_of_small_dots_compiles_without_ynn_fusions_traced_once(monkeypatch):
    calls, traces, values, expected = _dense_chain(monkeypatch, rows=8, width=64)
    small = {**compile_options.CPU_OPTIONS, **compile_options.NO_YNN_OPTIONS}
    assert calls == [small, small]
    assert traces == 1  # the pick reuses the trace it was made from
    for value in values:
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)


def test_a_segment_with_a_large_dot_keeps_ynn_fusions(monkeypatch):
    rows, width = 64, 128  # 2 * 64 * 128 * 128 = 2**21 FLOPs a dot
    assert 2 * rows * width * width > compile_options.SMALL_DOT_FLOPS
    calls, traces, values, expected = _dense_chain(monkeypatch, rows, width)
    assert calls == [dict(compile_options.CPU_OPTIONS)] * 2
    assert traces == 1
    for value in values:
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)


def test_segments_without_dots_and_disabled_options_compile_once_as_before(monkeypatch):
    calls = []
    monkeypatch.setattr(jax, "jit", lambda fun, **k: _Recording(calls, fun, **k))
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None])
        assert sess.run(tf.tanh(x) + 1.0, {x: [0.0]}) == [1.0]
    assert calls == [dict(compile_options.CPU_OPTIONS)]
    monkeypatch.setenv("FLOWGRAPH_XLA_CPU_OPTIONS", "0")
    calls, _, values, expected = _dense_chain(monkeypatch, rows=8, width=64)
    assert calls == [None, None]
    np.testing.assert_allclose(values[0], expected, rtol=1e-5, atol=1e-6)


def test_a_small_dot_inside_a_loop_body_is_seen(monkeypatch):
    calls = []
    monkeypatch.setattr(jax, "jit", lambda fun, **k: _Recording(calls, fun, **k))
    w_value = np.full((16, 16), 0.5, np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 16])
        _, y = tf.while_loop(
            lambda i, h: i < 3, lambda i, h: (i + 1, tf.matmul(h, w_value)), [tf.constant(0), x]
        )
        value = sess.run(y, {x: np.ones((2, 16), np.float32)})
    np.testing.assert_allclose(value, np.ones((2, 16)) @ w_value @ w_value @ w_value, rtol=1e-6)
    assert {**compile_options.CPU_OPTIONS, **compile_options.NO_YNN_OPTIONS} in calls
    assert dict(compile_options.CPU_OPTIONS) not in calls
