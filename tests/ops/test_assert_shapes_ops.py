"""tf.debugging.assert_shapes: static checks (TF's messages) and run-time checks."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf


def test_static_shapes_are_checked_while_building():
    with tf.Graph().as_default():
        x, y = tf.placeholder(tf.float32, [2, 3]), tf.placeholder(tf.float32, [2, 4])
        ok = tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", "D"))])
        assert ok.type == "NoOp"
        tf.debugging.assert_shapes({x: ("*", 3), y: (".", 4)})
        tf.debugging.assert_shapes([(x, ("...", 2, 3)), (tf.constant(1.0), ())])
        with pytest.raises(
            ValueError,
            match=r"Specified by tensor Placeholder:0 dimension 1\. "
            r" Tensor Placeholder_1:0 dimension 1 must have "
            r"size 3\.  Received size 4, shape \(2, 4\)",
        ):
            tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", "Q"))])
        with pytest.raises(
            ValueError,
            match=r"Tensor Placeholder:0 must have rank 3\.  "
            r"Received rank 2, shape \(2, 3\)",
        ):
            tf.debugging.assert_shapes([(x, (2, 3, 1))])
        with pytest.raises(ValueError, match="must have size 5"):
            tf.debugging.assert_shapes([(x, (2, 5))])


def test_unknown_dims_are_checked_when_the_graph_runs():
    with tf.Graph().as_default():
        z, y = tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32, [None, 4])
        check = tf.debugging.assert_shapes([(z, ("N", 3)), (y, ("N", 4))])
        with tf.control_dependencies([check]):
            out = tf.identity(z)
        with tf.Session() as sess:
            got = sess.run(out, {z: np.ones((2, 3)), y: np.ones((2, 4))})
            assert got.shape == (2, 3)
            with pytest.raises(tf.errors.InvalidArgumentError, match="Specified by tensor"):
                sess.run(out, {z: np.ones((3, 3)), y: np.ones((2, 4))})
