"""A segment whose first call (trace and compile) is slow says so, once, on stderr."""

import numpy as np

import flowgraph as tf
from device import compile_notice


def test_a_slow_first_call_names_the_segment_its_op_count_and_device(monkeypatch, capfd):
    monkeypatch.setattr(compile_notice, "SLOW_SECONDS", 0.0)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        with tf.device("/cpu:1"):
            y = tf.reduce_sum(tf.square(x) + 1.0)
        with tf.Session() as sess:
            for _ in range(3):
                np.testing.assert_allclose(sess.run(y, {x: [1.0, 2.0, 3.0]}), 17.0)
            n_ops = len(sess.explain(y, {x: [1.0, 2.0, 3.0]}).segments[0].ops)
    err = capfd.readouterr().err
    assert err.count("compiling segment") == 1  # the first run only
    assert f"compiling segment 0 ({n_ops} ops) for /device:CPU:1…" in err


def test_a_fast_first_call_says_nothing(capfd):
    with tf.Graph().as_default():
        y = tf.constant(2.0) * 3.0
        with tf.Session() as sess:
            assert sess.run(y) == 6.0
    assert "compiling" not in capfd.readouterr().err
