"""`tf.AggregationMethod`, `tf.UnconnectedGradients` and the variable enums, in use."""

import numpy as np

import flowgraph as tf


def test_unconnected_gradients_enum_is_accepted_by_gradients():
    with tf.Graph().as_default():
        x, unused = tf.constant([1.0, 2.0]), tf.constant([3.0])
        y = tf.reduce_sum(x * x)
        none_grad = tf.gradients(y, [unused], unconnected_gradients=tf.UnconnectedGradients.NONE)
        zero_grad = tf.gradients(y, [unused], unconnected_gradients=tf.UnconnectedGradients.ZERO)
        with tf.Session() as sess:
            assert none_grad == [None]
            np.testing.assert_array_equal(sess.run(zero_grad[0]), [0.0])
    assert tf.UnconnectedGradients("zero") is tf.UnconnectedGradients.ZERO


def test_aggregation_methods_give_the_summed_gradient():
    assert tf.AggregationMethod.DEFAULT == tf.AggregationMethod.ADD_N == 0
    with tf.Graph().as_default():
        x = tf.constant(3.0)
        y = x * x + 2.0 * x  # two paths to x
        grads = [tf.gradients(y, x, aggregation_method=m)[0]
                 for m in (tf.AggregationMethod.ADD_N, tf.AggregationMethod.EXPERIMENTAL_TREE,
                           tf.AggregationMethod.EXPERIMENTAL_ACCUMULATE_N)]  # fmt: skip
        with tf.Session() as sess:
            assert sess.run(grads) == [8.0, 8.0, 8.0]


def test_variable_enums_are_accepted_by_get_variable():
    assert [m.value for m in tf.VariableAggregation] == [0, 1, 2, 3]
    assert tf.VariableSynchronization.ON_READ.value == 3
    with tf.Graph().as_default():
        v = tf.get_variable("v", [2], initializer=tf.ones_initializer(),
                            synchronization=tf.VariableSynchronization.AUTO,
                            aggregation=tf.VariableAggregation.MEAN)  # fmt: skip
        with tf.Session() as sess:
            sess.run(v.initializer)
            np.testing.assert_array_equal(sess.run(v), [1.0, 1.0])
