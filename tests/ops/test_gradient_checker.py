"""`tf.test.compute_gradient(_error)`: TF1's signature, Jacobians against known ones."""

import numpy as np
import pytest

import flowgraph as tf


def test_jacobian_of_square_is_diagonal():
    x = tf.constant([1.0, 2.0], tf.float64)
    with tf.Session():
        theoretical, numerical = tf.test.compute_gradient(
            x, [2], x * x, [2], x_init_value=np.array([1.0, 3.0])
        )
    np.testing.assert_allclose(theoretical, [[2.0, 0.0], [0.0, 6.0]])
    np.testing.assert_allclose(numerical, theoretical, atol=1e-6)


def test_list_of_x_gives_one_pair_each():
    a, b = tf.placeholder(tf.float64, [1, 2]), tf.placeholder(tf.float64, [2, 1])
    with tf.Session():
        pairs = tf.test.compute_gradient(
            [a, b],
            [[1, 2], [2, 1]],
            tf.matmul(a, b),
            [1, 1],
            x_init_value=[np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]])],
        )
    (ta, na), (tb, nb) = pairs
    np.testing.assert_allclose(ta, [[3.0], [4.0]])
    np.testing.assert_allclose(tb, [[1.0], [2.0]])
    np.testing.assert_allclose([na, nb], [ta, tb], atol=1e-6)


def test_error_is_small_for_a_correct_gradient_and_random_init():
    x = tf.placeholder(tf.float64, [3, 2])
    y = tf.reduce_sum(tf.tanh(x) * 2.0, axis=1)
    with tf.Session():
        error = tf.test.compute_gradient_error(x, [3, 2], y, [3], delta=1e-4)
    assert 0 <= error < 1e-6


def test_error_is_large_for_a_wrong_gradient():
    @tf.custom_gradient
    def wrong_square(x):
        return x * x, lambda dy: dy * 3.0 * x  # should be 2x

    x = tf.placeholder(tf.float64, [2])
    with tf.Session():
        error = tf.test.compute_gradient_error(
            x, [2], wrong_square(x), [2], x_init_value=np.array([1.0, 2.0])
        )
    assert error == pytest.approx(2.0, rel=1e-4)  # |3x - 2x| at x = 2


def test_complex_input_counts_as_two_reals():
    x = tf.placeholder(tf.complex128, [1])
    y = tf.real(x) * 2.0 + tf.imag(x) * 3.0
    with tf.Session():
        theoretical, numerical = tf.test.compute_gradient(
            x, [1], y, [1], x_init_value=np.array([1 + 1j])
        )
    np.testing.assert_allclose(numerical, [[2.0], [3.0]], atol=1e-6)
    np.testing.assert_allclose(theoretical, numerical, atol=1e-6)


def test_needs_a_default_session():
    x = tf.constant([1.0])
    with pytest.raises(ValueError, match="default session"):
        tf.test.compute_gradient(x, [1], x * 2.0, [1])
