"""`tf.grad_pass_through`: forward as f, gradient the identity."""

import numpy as np

import flowgraph as tf


def test_round_with_an_identity_gradient():
    with tf.Graph().as_default():
        x = tf.constant([0.4, 1.6, -2.2])
        y = tf.grad_pass_through(tf.round)(x)
        (grad,) = tf.gradients(tf.reduce_sum(y * y), x)
        with tf.Session() as sess:
            out, g = sess.run([y, grad])
    np.testing.assert_allclose(out, [0.0, 2.0, -2.0])
    np.testing.assert_allclose(g, 2 * out)  # d(y^2)/dy passed straight to x


def test_assignment_passes_the_gradient_to_its_value():
    with tf.Graph().as_default():
        v = tf.Variable(0.0)
        x = tf.constant(3.0)
        y = tf.grad_pass_through(lambda t: tf.assign(v, t))(x)
        (grad,) = tf.gradients(y * 5.0, x)
        with tf.Session() as sess:
            sess.run(v.initializer)
            assert sess.run([y, grad]) == [3.0, 5.0]
