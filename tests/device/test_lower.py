"""Lowering (`device/lower.py`): large constants are arguments of a segment's executable."""

from __future__ import annotations

import jax
import numpy as np

import flowgraph as tf
from device import lower


def test_large_constants_are_arguments_copied_to_the_device_once_kept(monkeypatch):
    puts = []
    real_put = jax.device_put
    monkeypatch.setattr(
        jax, "device_put", lambda x, *a, **k: puts.append(x) or real_put(x, *a, **k)
    )
    tf.reset_default_graph()
    big = np.arange(lower.HOISTED_CONSTANT_BYTES // 4, dtype=np.float32).reshape(-1, 64)
    x = tf.placeholder(tf.float32, [64])
    y = tf.reduce_sum(tf.constant(big) * x) + tf.reduce_sum(tf.constant([1.0, 2.0]))
    with tf.Session() as sess:
        for step in range(4):
            feed = np.full([64], step, np.float32)
            np.testing.assert_allclose(sess.run(y, {x: feed}), (big * feed).sum() + 3, rtol=1e-6)
    copies = [p for p in puts if isinstance(p, np.ndarray) and p.nbytes == big.nbytes]
    assert len(copies) == 2  # the first two runs; kept on the device from then on
    assert not [p for p in puts if isinstance(p, np.ndarray) and p.shape == (2,)]  # embedded


def test_a_variable_initialized_from_a_large_value_holds_it():
    tf.reset_default_graph()
    value = np.random.RandomState(0).rand(1024, 512).astype(np.float32)
    v = tf.Variable(value)
    step = v.assign_add(tf.ones_like(v))
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(v), value)
        sess.run(step)
        sess.run(v.initializer)  # an initializer run again gives the value again
        np.testing.assert_array_equal(sess.run(v), value)
