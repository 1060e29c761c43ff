"""Composite tf.nn helpers against numpy."""

from __future__ import annotations

import numpy as np

import flowgraph as tf
from flowgraph.ops import nn_impl
from tests.gradient_checker import check_gradients

X = np.random.default_rng(0).uniform(-2, 2, (4, 3))


def test_helpers():
    with tf.Graph().as_default():
        x = tf.constant(X)
        stats = nn_impl.sufficient_statistics(x, [0], shift=tf.constant(0.5, tf.float64))
        mean, variance = nn_impl.normalize_moments(*stats)
        outs = [nn_impl.zero_fraction([[0.0, 1.0], [0.0, 2.0]]), mean, variance,
                nn_impl.relu_layer(x, tf.ones([3, 2], tf.float64), [0.5, -0.5]),
                nn_impl.compute_average_loss([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 1.0]),
                nn_impl.compute_average_loss([1.0, 2.0], global_batch_size=8),
                nn_impl.scale_regularization_loss([1.0, 2.0])]
        with tf.Session() as sess:
            got = sess.run(outs)
    assert got[0] == 0.5 and got[0].dtype == np.float32
    np.testing.assert_allclose(got[1], X.mean(0))
    np.testing.assert_allclose(got[2], X.var(0))
    np.testing.assert_allclose(got[3], np.maximum(X.sum(1, keepdims=True) + [0.5, -0.5], 0))
    assert got[4] == 4.0 / 3 and got[5] == 3.0 / 8 and got[6] == 3.0


def test_moments_gradient():
    check_gradients(lambda x: list(nn_impl.normalize_moments(
        *nn_impl.sufficient_statistics(x, [1], shift=None))), X)
