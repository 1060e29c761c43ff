"""switch_case: the chosen branch's values, the default for keys out of range, TF's
argument errors, gradients through the taken branch."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients


@pytest.fixture
def sess():
    with tf.Graph().as_default() as g, tf.Session(graph=g) as s:
        yield s


@pytest.mark.parametrize("index, expected", [(0, 17), (1, 31), (2, -1), (-4, -1), (9, -1)])
def test_switch_case_picks_the_key_or_the_default(sess, index, expected):
    i = tf.placeholder(tf.int32, [])
    r = tf.switch_case(
        i,
        branch_fns={0: lambda: tf.constant(17), 1: lambda: tf.constant(31)},
        default=lambda: tf.constant(-1),
    )
    assert sess.run(r, {i: index}) == expected


@pytest.mark.parametrize("index, expected", [(0, 10.0), (1, 20.0), (2, 30.0), (7, 30.0)])
def test_switch_case_without_default_falls_back_to_the_max_key(sess, index, expected):
    i = tf.placeholder(tf.int32, [])
    fns = [(2, lambda: tf.constant(30.0)), (0, lambda: tf.constant(10.0))]
    fns.append((1, lambda: tf.constant(20.0)))
    assert sess.run(tf.switch_case(i, fns), {i: index}) == expected


def test_switch_case_nested_structures_and_side_effects(sess):
    v = tf.Variable(0)
    i = tf.placeholder(tf.int32, [])

    def branch(k):
        def fn():
            with tf.control_dependencies([tf.assign_add(v, k)]):
                return {"a": tf.constant(k) * 2, "b": (tf.constant(float(k)),)}

        return fn

    r = tf.switch_case(i, [branch(1), branch(10), branch(100)])
    sess.run(v.initializer)
    out = sess.run(r, {i: 1})
    assert out["a"] == 20 and out["b"] == (10.0,)
    assert sess.run(v) == 10  # only the branch taken assigned


def test_switch_case_and_case_return_sparse_tensors(sess):
    i = tf.placeholder(tf.int32, [])
    fns = [lambda k=k: tf.SparseTensor([[k, 0]] * (k + 1), [float(k)] * (k + 1), [3, 2])
           for k in range(3)]  # fmt: skip
    r = tf.switch_case(i, fns)
    c = tf.case([(tf.equal(i, 0), fns[0]), (tf.equal(i, 1), fns[1])], default=fns[2])
    assert isinstance(r, tf.SparseTensor) and isinstance(c, tf.SparseTensor)
    for k in range(3):
        for value in sess.run([r, c], {i: k}):
            np.testing.assert_array_equal(value.indices, [[k, 0]] * (k + 1))
            np.testing.assert_array_equal(value.values, [float(k)] * (k + 1))


def test_switch_case_gradient():
    def fn(x):
        branches = [lambda: tf.reduce_sum(x * x), lambda: tf.reduce_sum(tf.sin(x))]
        return tf.switch_case(tf.constant(1), branches)

    check_gradients(fn, np.array([0.5, -1.5, 2.0]))
    with tf.Graph().as_default(), tf.Session() as s:
        x = tf.placeholder(tf.float32, [3])
        g = tf.gradients(fn(x), x)[0]
        np.testing.assert_allclose(s.run(g, {x: [0.5, -1.5, 2.0]}), np.cos([0.5, -1.5, 2.0]))


def test_switch_case_argument_errors_are_tfs():
    with tf.Graph().as_default():
        i = tf.constant(0)
        with pytest.raises(TypeError, match="'branch_index' must be a Tensor"):
            tf.switch_case(0, [lambda: 1])
        with pytest.raises(TypeError, match="'branch_index' must be an integer Tensor"):
            tf.switch_case(tf.constant(0.0), [lambda: 1])
        with pytest.raises(TypeError, match="'branch_index' of 'Case' Op has type int64"):
            tf.switch_case(tf.constant(0, tf.int64), [lambda: 1])  # TF's Case takes int32
        with pytest.raises(ValueError, match="Must provide at least one item in 'branch_fns'"):
            tf.switch_case(i, [])
        with pytest.raises(TypeError, match="Each entry in 'branch_fns' must be a 2-tuple"):
            tf.switch_case(i, [(0, lambda: 1, 2)])
        with pytest.raises(TypeError, match="key must be a Python `int`"):
            tf.switch_case(i, [("a", lambda: 1)])
        with pytest.raises(TypeError, match="fn for key 0 must be callable."):
            tf.switch_case(i, {0: 3})
        with pytest.raises(ValueError, match=r"contiguous range of \[0 to 2\) but found \{0,2\}"):
            tf.switch_case(i, {0: lambda: 1, 2: lambda: 2})
