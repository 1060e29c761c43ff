"""The rest of TF1's check_ops: static checks raise while building, the others at run time."""

import numpy as np
import pytest

import flowgraph as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as graph:
        yield graph


def test_assert_integer():
    assert tf.assert_integer(tf.constant([1, 2])).type == "NoOp"
    with pytest.raises(TypeError, match='Expected "x" to be integer type'):
        tf.debugging.assert_integer(tf.constant([1.0]), message="ints!")


def test_assert_near():
    x = tf.placeholder(tf.float32, [2])
    check = tf.assert_near(x, [1.0, 2.0], atol=0.1, rtol=0.0, message="too far")
    with tf.Session() as sess:
        sess.run(check, {x: [1.05, 1.95]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="too far"):
            sess.run(check, {x: [1.2, 2.0]})
    default = tf.debugging.assert_near(x, [1.0, 2.0])  # 10 float32 epsilons
    with tf.Session() as sess:
        sess.run(default, {x: [1.0, 2.0]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="not equal to tolerance"):
            sess.run(default, {x: [1.0, 2.001]})


def test_assert_proper_iterable():
    tf.assert_proper_iterable([1, 2])
    tf.assert_proper_iterable((t for t in ()))
    for bad in (tf.constant([1]), np.array([1]), "text", b"bytes"):
        with pytest.raises(TypeError, match='"proper" iterable'):
            tf.debugging.assert_proper_iterable(bad)
    with pytest.raises(TypeError, match="to be iterable"):
        tf.assert_proper_iterable(3)


def test_assert_rank_in_static_and_dynamic():
    assert tf.assert_rank_in(tf.zeros([2, 3]), [1, 2]).type == "NoOp"
    with pytest.raises(ValueError, match=r"must have rank in \(1, 3\).  Received rank 2"):
        tf.assert_rank_in(tf.zeros([2, 3]), [1, 3])
    x = tf.placeholder(tf.float32)
    check = tf.debugging.assert_rank_in(x, [0, 2])
    with tf.Session() as sess:
        sess.run(check, {x: np.zeros([2, 2])})
        with pytest.raises(tf.errors.InvalidArgumentError, match="must have rank in"):
            sess.run(check, {x: np.zeros([2])})


def test_assert_same_float_dtype():
    a, b = tf.constant([1.0], tf.float64), tf.constant([2.0], tf.float64)
    assert tf.assert_same_float_dtype([a, b]) == tf.float64
    assert tf.assert_same_float_dtype() == tf.float32
    assert tf.debugging.assert_same_float_dtype(None, tf.float16) == tf.float16
    with pytest.raises(ValueError, match="must be of the same type"):
        tf.assert_same_float_dtype([a, tf.constant([1.0])])
    with pytest.raises(ValueError, match="Expected floating point type"):
        tf.assert_same_float_dtype([tf.constant([1])])


@pytest.mark.parametrize("values,non_decreasing,strictly", [
    ([1, 2, 2, 3], True, False), ([1, 2, 3], True, True), ([3, 1], False, False),
    ([[1, 2], [3, 4]], True, True), ([5], True, True), ([], True, True),
])  # fmt: skip
def test_monotonicity(values, non_decreasing, strictly):
    x = tf.constant(np.array(values, np.float32))
    with tf.Session() as sess:
        got = sess.run([tf.is_non_decreasing(x), tf.debugging.is_strictly_increasing(x)])
    assert got == [non_decreasing, strictly]
