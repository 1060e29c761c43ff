"""Sparse updates of variables: scatter_mul/div/min/max and scatter_nd_add/sub/update."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import state_ops

OP_TYPES_TESTED = {
    "ScatterMul",
    "ScatterDiv",
    "ScatterMin",
    "ScatterMax",
    "ScatterNdAdd",
    "ScatterNdSub",
    "ScatterNdUpdate",
}
NOT_DIFFERENTIABLE = {
    t: "updates a variable's ref (TF registers no gradient)" for t in OP_TYPES_TESTED
}

_START = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)


def _run(update, *args):
    with tf.Graph().as_default() as graph:
        v = tf.Variable(_START)
        out = update(v, *args)
    with tf.Session(graph=graph) as sess:
        sess.run(v.initializer)
        first = sess.run(out)
        return first, sess.run(v)


def _expect(fn):
    x = _START.copy()
    fn(x)
    return x


@pytest.mark.parametrize(
    "update,indices,updates,numpy_update",
    [
        (
            state_ops.scatter_mul,
            [0, 2, 0],
            [[2, 2], [3, 3], [5, 5]],
            lambda x: x.__setitem__(slice(None), x * [[10], [1], [3]]),
        ),
        (state_ops.scatter_div, [1], [[2, 8]], lambda x: x.__setitem__(1, x[1] / [2, 8])),
        (state_ops.scatter_min, [2, 2], [[4, 9], [7, 1]], lambda x: x.__setitem__(2, [4, 1])),
        (
            state_ops.scatter_max,
            [0, 1],
            [[0, 9], [7, 0]],
            lambda x: x.__setitem__(slice(0, 2), [[1, 9], [7, 4]]),
        ),
        (
            state_ops.scatter_nd_add,
            [[0, 1], [2, 0], [0, 1]],
            [10, 20, 30],
            lambda x: x.__setitem__((0, 1), 42) or x.__setitem__((2, 0), 25),
        ),
        (state_ops.scatter_nd_sub, [[1]], [[1, 1]], lambda x: x.__setitem__(1, [2, 3])),
        (
            state_ops.scatter_nd_update,
            [[2], [0]],
            [[0, 0], [9, 9]],
            lambda x: x.__setitem__(2, 0) or x.__setitem__(0, 9),
        ),
    ],
    ids=["mul", "div", "min", "max", "nd_add", "nd_sub", "nd_update"],
)
def test_scatter_updates_the_variable_and_returns_it(update, indices, updates, numpy_update):
    first, after = _run(update, indices, np.asarray(updates, np.float32))
    expected = _expect(numpy_update)
    np.testing.assert_allclose(first, expected)
    np.testing.assert_allclose(after, expected)


def test_scatter_ops_are_ref_ops_colocated_with_the_variable():
    with tf.Graph().as_default():
        v = tf.Variable(_START)
        out = state_ops.scatter_nd_update(v, [[1, 1]], [0.0])
    assert out.op.type == "ScatterNdUpdate" and out.op.get_attr("use_locking") is True
    assert out.dtype._is_ref_dtype and out.dtype.base_dtype == tf.float32
    assert out.op.colocation_groups() == v.op.colocation_groups()


def test_scatter_nd_shape_mismatch_names_the_op():
    with tf.Graph().as_default():
        v = tf.Variable(_START)
        out = state_ops.scatter_nd_add(
            v, tf.placeholder(tf.int32, [None, 2]), tf.placeholder(tf.float32)
        )
        with tf.Session() as sess:
            sess.run(v.initializer)
            with pytest.raises(tf.errors.InvalidArgumentError, match="ScatterNdAdd"):
                sess.run(out, {out.op.inputs[1]: [[0, 0]], out.op.inputs[2]: [1.0, 2.0]})
