"""bucketize (the Bucketize kernel): TF's upper-bound buckets, float32 boundaries."""

from __future__ import annotations

import numpy as np

import flowgraph as tf
from flowgraph.ops.bucketize_ops import bucketize

OP_TYPES_TESTED = ("Bucketize",)
NOT_DIFFERENTIABLE = {"Bucketize": "an integer bucket index (NotDifferentiable in TF)"}


def test_buckets_against_numpy_for_each_input_type():
    boundaries = [-1.5, 0.0, 2.0, 10.0]
    cases = [
        np.array([[-5.0, -1.5, 0.0], [1.999, 2.0, 50.0]], np.float32),
        np.array([-2, -1, 0, 1, 2, 10, 11], np.int32),
        np.array([-2, 0, 2, 10**12], np.int64),
        np.array([0.1, -1.5, 9.999999], np.float64),
    ]
    with tf.Graph().as_default():
        outs = [bucketize(tf.constant(x), boundaries) for x in cases]
        with tf.Session() as sess:
            got = sess.run(outs)
    for x, out, t in zip(cases, got, outs):
        expected = np.searchsorted(np.float32(boundaries), x, side="right")
        assert out.dtype == np.int32 and t.dtype == tf.int32 and t.shape.as_list() == list(x.shape)
        np.testing.assert_array_equal(out, expected)


def test_float32_boundaries_as_tensorflow_keeps_them():
    # TF stores boundaries as float32: 0.1 becomes 0.100000001, above the float64 0.1.
    with tf.Graph().as_default():
        out = bucketize(tf.constant([0.1], tf.float64), [0.1])
        with tf.Session() as sess:
            assert sess.run(out).tolist() == [0]


def test_no_gradient_flows_through_bucketize():
    with tf.Graph().as_default():
        x = tf.constant([1.0, 3.0])
        y = tf.cast(bucketize(x, [2.0]), tf.float32) + x
        assert tf.gradients(bucketize(x, [2.0]), x) == [None]
        with tf.Session() as sess:
            assert sess.run(tf.gradients(y, x)[0]).tolist() == [1.0, 1.0]
