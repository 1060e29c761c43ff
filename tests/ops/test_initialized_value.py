"""`Variable.initialized_value()`: TF's `cond(is_variable_initialized(v), v.read_value,
lambda: v.initial_value)`, so a cond branch may read a variable that is not initialized
yet when that branch does not run (the step runs its taken branch only).

Expected values are TensorFlow 2.21's (`tf.compat.v1` graph mode with v2 behaviour off:
ref variables and v1 `cond`), on the same graphs and runs."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf


def test_initialized_value_is_the_current_value_once_initialized():
    with tf.Graph().as_default():
        v = tf.Variable(1.0)
        value = v.initialized_value()
        inc = v.assign_add(5.0)
        w = tf.Variable(v.initialized_value() * 2.0)
        with tf.Session() as sess:
            before = sess.run(value)  # the initial value; v stays uninitialized
            assert not sess.run(tf.is_variable_initialized(v))
            sess.run(tf.global_variables_initializer())
            sess.run(inc)
            # TF: 1.0, 6.0 (an evaluation after training no longer resets v), 2.0
            assert (before, sess.run(value), sess.run(w)) == (1.0, 6.0, 2.0)
            assert sess.run(v) == 6.0


def test_chains_of_initial_values_initialize_in_one_run():
    with tf.Graph().as_default():
        v = tf.Variable(tf.random_normal([3], seed=1))
        w = tf.Variable(v.initialized_value() * 2.0)
        u = tf.get_variable("u", initializer=w.initialized_value() + 1.0)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            a, b, c = sess.run([v, w, u])
    np.testing.assert_allclose(b, 2 * a, rtol=1e-6)
    np.testing.assert_allclose(c, b + 1, rtol=1e-6)


def test_an_initializer_run_alone_uses_the_initial_values_it_needs():
    with tf.Graph().as_default():
        v = tf.Variable(1.0)
        w = tf.Variable(v.initialized_value() + 1.0)
        x = tf.Variable(w.initialized_value() * 10.0)
        with tf.Session() as sess:
            sess.run(x.initializer)
            first = sess.run(x)
            sess.run(v.initializer)
            sess.run(v.assign(4.0))
            sess.run(w.initializer)
            sess.run(x.initializer)
            # TF: 20.0, then [4.0, 5.0, 50.0]
            assert first == 20.0
            assert sess.run([v, w, x]) == [4.0, 5.0, 50.0]


def test_a_moving_average_initialized_late_starts_from_the_current_value():
    with tf.Graph().as_default():
        var = tf.Variable(3.0)
        ema = tf.train.ExponentialMovingAverage(0.5)
        update = ema.apply([var])
        shadow = ema.average(var)
        with tf.Session() as sess:
            sess.run(var.initializer)
            sess.run(var.assign(5.0))
            sess.run(shadow.initializer)
            assert sess.run([var, shadow]) == [5.0, 5.0]  # TF: [5.0, 5.0]
            sess.run(update)
            assert sess.run(shadow) == 5.0


def test_a_branch_that_reads_an_uninitialized_variable_fails_only_when_taken():
    with tf.Graph().as_default():
        v = tf.Variable(2.0)
        p = tf.placeholder(tf.bool, [])
        y = tf.cond(p, lambda: v.read_value() * 3.0, lambda: tf.constant(-1.0))
        with tf.Session() as sess:
            assert sess.run(y, {p: False}) == -1.0
            with pytest.raises(tf.errors.FailedPreconditionError) as caught:
                sess.run(y, {p: True})
            assert "Attempting to use uninitialized value Variable" in caught.value.message
            assert "test_initialized_value.py" in caught.value.message
            sess.run(v.initializer)
            assert sess.run(y, {p: True}) == 6.0  # TF: 6.0


def test_an_initial_value_read_from_another_variable_is_guarded():
    # TF's _try_guard_against_uninitialized_dependencies: TF 2.21 gives 6.0 and [2.0, 3.0]
    # for an initializer run alone, and [3.0, 6.0] after global_variables_initializer.
    with tf.Graph().as_default():
        v = tf.Variable(3.0)
        w = tf.Variable(v * 2.0)
        a = tf.get_variable("a", initializer=tf.constant([1.0, 2.0]))
        b = tf.get_variable("b", initializer=a + 1.0)
        with tf.Session() as sess:
            sess.run([w.initializer, b.initializer])
            assert sess.run(w) == 6.0
            np.testing.assert_array_equal(sess.run(b), [2.0, 3.0])
            assert not sess.run(tf.is_variable_initialized(v))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run([v, w]) == [3.0, 6.0]
            sess.run(v.assign(10.0))
            sess.run(w.initializer)  # v is initialized now: its value
            assert sess.run(w) == 20.0
