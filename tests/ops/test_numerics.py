"""`tf.add_check_numerics_ops`: every float tensor checked, the bad one named."""

import numpy as np
import pytest

import flowgraph as tf


def test_checks_every_float_tensor_and_names_the_bad_one():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        y = tf.log(x, name="log")
        count = tf.constant(3, name="count")  # an int: not checked
        check = tf.add_check_numerics_ops()
        checks = [op for op in tf.get_default_graph().get_operations()
                  if op.type == "CheckNumerics"]  # fmt: skip
        assert [c.get_attr("message") for c in checks] == ["x:0", "log:0"]
        assert checks[1].control_inputs == [checks[0]]  # chained, producers first
        with tf.Session() as sess:
            out, _ = sess.run([y, check], {x: [1.0, np.e]})
            np.testing.assert_allclose(out, [0.0, 1.0], rtol=1e-6)
            with pytest.raises(tf.errors.InvalidArgumentError, match="log:0"):
                sess.run(check, {x: [0.0, 1.0]})
        assert count.dtype == tf.int32
