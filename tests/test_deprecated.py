"""TF1's deprecated spellings: `arg_max`/`arg_min` (old argument order), `op_scope`."""

import numpy as np

import flowgraph as tf

X = np.array([[1, 5, 2], [7, 0, 3]], np.float32)


def test_arg_max_and_arg_min():
    a_max, a_min = tf.arg_max(X, 1), tf.arg_min(X, 0, tf.int32)
    assert a_max.op.type == "ArgMax" and a_min.op.type == "ArgMin"
    assert a_max.dtype == tf.int64 and a_min.dtype == tf.int32
    with tf.Session() as sess:
        got_max, got_min = sess.run([a_max, a_min])
    np.testing.assert_array_equal(got_max, np.argmax(X, 1))
    np.testing.assert_array_equal(got_min, np.argmin(X, 0))


def test_op_scope_and_variable_op_scope():
    with tf.Graph().as_default():
        x = tf.constant(1.0)
        with tf.op_scope([x], "outer", "default") as scope:
            y = tf.identity(x, name="y")
        with tf.variable_op_scope([x], None, "layer"):
            v = tf.get_variable("w", [1])
    assert scope == "outer/" and y.name == "outer/y:0"
    assert v.name == "layer/w:0"
