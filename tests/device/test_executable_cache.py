"""The executable cache (`device/executable_cache.py`): a segment made again (as in a new
process) loads its executables instead of tracing and compiling, with the same values; any
change to the program misses; a corrupt entry compiles again; off, nothing is written.
(The new-process case itself: `tests/test_compile_cache.py`.)"""

from __future__ import annotations

import os

import jax
import numpy as np
import pytest

import flowgraph as tf
from device import compile_options, executable_cache, split_compile


@pytest.fixture
def cache_dir(tmp_path):
    before = executable_cache.configure(str(tmp_path))
    yield tmp_path / "executables"
    executable_cache.configure(before)


def _origins(sess, fetches, feed):
    return [o for s in sess.explain(fetches, feed).segments for o in s.compiled_from]


def _scaled(scale=2.0, batch=2, branch=1.0):
    """Runs tanh(x) * scale (+ a cond branch's constant) once in a new graph."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y = tf.reduce_sum(tf.tanh(x) * scale, axis=1)
        y = tf.cond(tf.reduce_sum(x) > -1e9, lambda: y + branch, lambda: y - 1.0)
        feed = {x: np.arange(batch * 3, dtype=np.float32).reshape(batch, 3) / 7}
        with tf.Session() as sess:
            value = sess.run(y, feed)
            return value, _origins(sess, y, feed)


def _expected(scale=2.0, batch=2, branch=1.0):
    x = np.arange(batch * 3, dtype=np.float32).reshape(batch, 3) / 7
    return (np.tanh(x) * scale).sum(axis=1) + branch


def test_a_segment_made_again_loads_its_executables_with_the_same_values(cache_dir):
    cold, origins = _scaled()
    assert origins == ["compiled"] and len(os.listdir(cache_dir)) == 1
    warm, origins = _scaled()
    assert origins == ["loaded"]
    np.testing.assert_array_equal(warm, cold)
    np.testing.assert_allclose(warm, _expected(), rtol=1e-6)


@pytest.mark.parametrize(
    "change", [{"scale": 3.0}, {"batch": 4}, {"branch": 5.0}], ids=["constant", "shape", "body"]
)
def test_a_changed_program_misses(cache_dir, change):
    _scaled()
    value, origins = _scaled(**change)
    assert origins == ["compiled"]
    np.testing.assert_allclose(value, _expected(**change), rtol=1e-6)
    assert len(os.listdir(cache_dir)) == 2


def test_a_changed_attr_misses(cache_dir):
    def run(transpose):
        with tf.Graph().as_default():
            a = tf.constant(np.arange(4, dtype=np.float32).reshape(2, 2))
            y = tf.matmul(a, a, transpose_b=transpose)
            with tf.Session() as sess:
                return sess.run(y), _origins(sess, y, None)

    a = np.arange(4, dtype=np.float32).reshape(2, 2)
    assert run(False)[1] == ["compiled"]
    value, origins = run(True)
    assert origins == ["compiled"]
    np.testing.assert_allclose(value, a @ a.T)
    assert run(True)[1] == ["loaded"]


def _gather(indices):
    """A gather whose fed indices the checks read on the host after the step."""
    with tf.Graph().as_default():
        i = tf.placeholder(tf.int32, [None], name="i")
        y = tf.gather(tf.constant([10.0, 20.0, 30.0]), i)
        with tf.Session() as sess:
            feed = {i: np.asarray(indices, np.int32)}
            try:
                return sess.run(y, feed), _origins(sess, y, feed)
            except tf.errors.InvalidArgumentError as e:
                return e, _origins(sess, y, feed)


def test_checks_work_in_a_loaded_segment_and_the_switch_misses(cache_dir, monkeypatch):
    value, origins = _gather([0, 2])
    assert origins == ["compiled"] and value.tolist() == [10.0, 30.0]
    value, origins = _gather([2, 1])
    assert origins == ["loaded"] and value.tolist() == [30.0, 20.0]
    error, origins = _gather([1, 3])
    assert origins == ["loaded"] and isinstance(error, tf.errors.InvalidArgumentError)
    assert "3 is not in [0, 3)" in str(error)
    monkeypatch.setenv("FLOWGRAPH_CHECKS", "0")
    value, origins = _gather([2, 0])
    assert origins == ["compiled"] and value.tolist() == [30.0, 10.0]


def _train(steps=3):
    """Losses and the final weight of a few gradient-descent steps in a new graph."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w = tf.Variable(np.linspace(-1, 1, 8, dtype=np.float32).reshape(4, 2), name="w")
        loss = tf.reduce_sum(tf.square(tf.matmul(x, w) - 1.0))
        train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
        batch = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = [sess.run([train, loss], {x: batch})[1] for _ in range(steps)]
            origins = _origins(sess, [train, loss], {x: batch})
            return losses, sess.run(w), origins


def test_a_loaded_training_step_updates_variables_in_place_the_same(cache_dir):
    cold_losses, cold_w, origins = _train()
    assert origins == ["compiled"]
    warm_losses, warm_w, origins = _train()
    assert origins == ["loaded"]
    assert warm_losses == cold_losses and cold_losses[0] > cold_losses[-1]
    np.testing.assert_array_equal(warm_w, cold_w)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data[:-100] + bytes(100),  # its end zeroed
        lambda data: b"not an entry",
    ],
    ids=["truncated", "zeroed", "garbage"],
)
def test_a_corrupt_entry_compiles_again_and_is_rewritten(cache_dir, damage):
    cold, _ = _scaled()
    (path,) = [cache_dir / name for name in os.listdir(cache_dir)]
    path.write_bytes(damage(path.read_bytes()))
    value, origins = _scaled()
    assert origins == ["compiled"]
    np.testing.assert_array_equal(value, cold)
    assert _scaled()[1] == ["loaded"]


def test_an_entry_of_another_kind_compiles_again(cache_dir):
    _scaled()
    (path,) = [cache_dir / name for name in os.listdir(cache_dir)]
    executable_cache._write(str(path), {"whole": (b"junk", None, None), "meta": None})
    value, origins = _scaled()
    assert origins == ["compiled"]
    np.testing.assert_allclose(value, _expected(), rtol=1e-6)


def test_off_writes_nothing(tmp_path):
    before = executable_cache.configure(None)
    try:
        value, origins = _scaled()
    finally:
        executable_cache.configure(before)
    assert origins == [] and list(tmp_path.iterdir()) == []
    np.testing.assert_allclose(value, _expected(), rtol=1e-6)


def _layers(n=40):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        h = x
        for i in range(n):
            h = tf.tanh(h * (0.5 if i % 2 else 0.75) + 0.25)
        feed = {x: np.ones((2, 3), np.float32)}
        with tf.Session() as sess:
            return sess.run(h, feed), _origins(sess, h, feed)


def test_a_chain_of_executables_loads_once_per_distinct_chunk(cache_dir, monkeypatch):
    monkeypatch.setattr(split_compile, "MIN_NODES", 1)
    monkeypatch.setattr(split_compile, "CHUNK_EQUATIONS", 12)
    cold, origins = _layers()
    assert origins == ["compiled"]
    h = np.ones((2, 3))
    for i in range(40):
        h = np.tanh(h * (0.5 if i % 2 else 0.75) + 0.25)
    np.testing.assert_allclose(cold, h, rtol=1e-5)
    (path,) = [cache_dir / name for name in os.listdir(cache_dir)]
    chain = executable_cache._read(str(path))["chain"]
    assert len(chain["steps"]) >= 5 and len(chain["executables"]) < len(chain["steps"])
    assert len(chain["executables"]) >= 2  # (loaded side by side, each in its place)
    warm, origins = _layers()
    assert origins == ["loaded"]
    np.testing.assert_array_equal(warm, cold)


def test_a_segment_of_small_dots_compiles_without_ynn_fusions(cache_dir, monkeypatch):
    options = []
    real = jax.stages.Lowered.compile

    def compile(self, compiler_options=None):
        options.append(compiler_options)
        return real(self, compiler_options=compiler_options)

    monkeypatch.setattr(jax.stages.Lowered, "compile", compile)

    def run(width):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, width], name="x")
            y = tf.matmul(x, tf.constant(np.eye(width, dtype=np.float32)))
            with tf.Session() as sess:
                return sess.run(y, {x: np.ones((64, width), np.float32)})

    np.testing.assert_array_equal(run(8), np.ones((64, 8)))
    np.testing.assert_array_equal(run(256), np.ones((64, 256)))  # 2 * 64 * 256**2 FLOPs
    small = {**compile_options.CPU_OPTIONS, **compile_options.NO_YNN_OPTIONS}
    assert options == [small, dict(compile_options.CPU_OPTIONS)]


def test_a_segment_calls_its_executable_s_own_dispatch_and_new_shapes_still_work(cache_dir):
    # After its first call a signature's program is called through the executable's C++
    # dispatch (no `Compiled.__call__` in front); another shape still compiles (or loads).
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        y = x * 2.0 + 1.0
        with tf.Session() as sess:
            for batch in (2, 3, 2, 5, 3):
                value = np.arange(batch, dtype=np.float32)
                np.testing.assert_array_equal(sess.run(y, {x: value}), value * 2.0 + 1.0)
            assert sess.explain(y, {x: value}).segments[0].compiled_from == ["compiled"] * 3
            with pytest.raises(ValueError, match="Cannot feed value of shape"):
                sess.run(y, {x: np.zeros((2, 2), np.float32)})


def test_the_entry_point_is_the_compiled_program_s_cpp_dispatch():
    compiled = jax.jit(lambda a: a + 1).trace(np.float32(1)).lower().compile()
    assert executable_cache._entry_point(compiled) is compiled  # not called yet: no dispatch
    compiled(np.float32(1))
    entry = executable_cache._entry_point(compiled)
    assert entry is not compiled and entry(np.float32(2)) == 3
    with pytest.raises(TypeError):  # another signature: the caller compiles it
        entry(np.zeros(3, np.float32))
