"""Selection ops with data-dependent shapes: where (host), boolean_mask; and zeros/ones."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"Where"}


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def test_where_returns_int64_coordinates_with_a_data_dependent_count(graph):
    c = tf.placeholder(tf.bool, [None, 3])
    w = tf.where(c)
    assert w.dtype == tf.int64 and w.shape.as_list() == [None, 2]
    values = np.array([[True, False, True], [False, False, True]])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(w, {c: values}), np.argwhere(values))
        assert sess.run(w, {c: np.zeros((4, 3), bool)}).shape == (0, 2)
        # A run with a different count compiles the downstream segment anew.
        n = tf.shape(w)[0] * 2
        assert sess.run(n, {c: values}) == 6


def test_where_plan_puts_the_host_op_between_xla_segments(graph):
    x = tf.placeholder(tf.float32, [None])
    idx = tf.where(x > 0)
    out = tf.reduce_sum(tf.gather(x, tf.squeeze(idx, [1])))
    with tf.Session() as sess:
        assert sess.run(out, {x: [1.0, -2.0, 3.0]}) == 4.0
        kinds = [s.kind for s in next(iter(sess._runs.values())).plan.segments]
        assert kinds == ["xla", "host", "xla"]


def test_where_with_x_and_y_needs_both(graph):
    with pytest.raises(ValueError, match="both be non-None"):
        tf.where([True], x=[1.0])


def test_boolean_mask_1d_nd_axis_and_strings(graph):
    t = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    m2 = np.array([[True, False, True], [False, True, False]])
    m1 = np.array([False, True, True])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.boolean_mask(t, m2)), t[m2])
        np.testing.assert_array_equal(sess.run(tf.boolean_mask(t, m1, axis=1)), t[:, m1])
        names = tf.boolean_mask(tf.constant(["a", "b", "c"]), [True, False, True])
        assert sess.run(names).tolist() == [b"a", b"c"]
    with pytest.raises(ValueError, match="scalar"):
        tf.boolean_mask(t, True)


def test_zeros_ones_small_are_constants_large_are_fill(graph):
    small, big = tf.zeros([2, 3]), tf.ones([40, 40], dtype=tf.int32)
    assert small.op.type == "Const" and small.op.name == "zeros"
    assert big.op.type == "Fill" and big.op.name == "ones"
    fed = tf.placeholder(tf.int32, [2])
    dynamic = tf.zeros(fed)
    with tf.Session() as sess:
        assert sess.run(big).sum() == 1600 and sess.run(big).dtype == np.int32
        assert sess.run(dynamic, {fed: [3, 2]}).shape == (3, 2)
    assert tf.zeros([2], tf.bool).dtype == tf.bool


def test_zeros_like_and_ones_like_keep_shape_and_take_dtype(graph):
    x = tf.placeholder(tf.float32, [None, 2])
    z = tf.zeros_like(x, dtype=tf.int32)
    o = tf.ones_like(tf.constant([[1, 2]]))
    with tf.Session() as sess:
        got = sess.run(z, {x: np.ones((3, 2))})
        assert got.dtype == np.int32 and got.shape == (3, 2) and not got.any()
        np.testing.assert_array_equal(sess.run(o), [[1, 1]])


def test_gather_and_squeeze_errors(graph):
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.gather([1.0, 2.0], [0.5])
    with pytest.raises(ValueError, match="squeeze"):
        tf.squeeze(tf.zeros([2, 3]), [0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Fill op 'Fill'.*non-negative"):
        with tf.Session() as sess:
            d = tf.placeholder(tf.int32, [2])
            sess.run(tf.fill(d, 1.0), {d: [-1, 2]})
