"""SparseTensor and IndexedSlices as cond outputs and while loop variables, nested
structures (namedtuples, dicts) through both, and TensorArrays whose element shape is
first known inside the loop: values against numpy."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import flowgraph as tf


@pytest.fixture
def sess():
    with tf.Graph().as_default() as g, tf.Session(graph=g) as s:
        yield s


def _dense(value, shape):
    out = np.zeros(shape, np.asarray(value.values).dtype)
    for index, v in zip(np.asarray(value.indices), np.asarray(value.values)):
        out[tuple(index)] = v
    return out


def test_cond_returns_sparse_tensors_of_different_sizes(sess):
    p = tf.placeholder(tf.bool, [])
    a = tf.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [3, 4])
    b = tf.SparseTensor([[2, 3]], [5.0], [3, 4])
    r = tf.cond(p, lambda: a, lambda: b)
    assert isinstance(r, tf.SparseTensor)
    taken = sess.run(r, {p: True})
    np.testing.assert_array_equal(_dense(taken, [3, 4]), _dense(sess.run(a), [3, 4]))
    np.testing.assert_array_equal(sess.run(r, {p: False}).indices, [[2, 3]])
    np.testing.assert_array_equal(sess.run(tf.sparse.to_dense(r), {p: False})[2, 3], 5.0)


def test_cond_of_same_sized_sparse_tensors_stays_compiled(sess):
    x = tf.placeholder(tf.float32, [2])
    sp = tf.SparseTensor([[0, 1], [1, 0]], x, [2, 2])
    r = tf.cond(x[0] > 0, lambda: sp, lambda: tf.SparseTensor(sp.indices, -x, sp.dense_shape))
    assert not r.values.op.get_attr("_host")
    np.testing.assert_allclose(sess.run(r, {x: [-1.0, 3.0]}).values, [1.0, -3.0])


def test_cond_returns_the_indexed_slices_of_a_gather_gradient(sess):
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    p = tf.placeholder(tf.bool, [])

    def grad_of(indices, scale):
        def fn():
            y = tf.gather(v, indices) * scale
            return tf.gradients(tf.reduce_sum(y), v)[0]

        return fn

    g = tf.cond(p, grad_of([0, 2], 2.0), grad_of([1, 1], 3.0))
    assert isinstance(g, tf.IndexedSlices)
    sess.run(v.initializer)
    for pred, indices, scale in ((True, [0, 2], 2.0), (False, [1, 1], 3.0)):
        value = sess.run(g, {p: pred})
        dense = np.zeros((3, 2))
        np.add.at(dense, np.asarray(value.indices), np.asarray(value.values))
        expected = np.zeros((3, 2))
        np.add.at(expected, indices, scale)
        np.testing.assert_allclose(dense, expected)
        np.testing.assert_array_equal(value.dense_shape, [3, 2])


def test_sparse_tensor_as_a_loop_variable(sess):
    sp = tf.SparseTensor([[0, 0], [1, 1]], [1.0, 2.0], [2, 2])

    def body(i, s):
        return i + 1, tf.SparseTensor(s.indices, s.values * 3.0, s.dense_shape)

    i, out = tf.while_loop(lambda i, s: i < 3, body, [0, sp])
    assert isinstance(out, tf.SparseTensor)
    value = sess.run(out)
    np.testing.assert_allclose(value.values, [27.0, 54.0])
    np.testing.assert_array_equal(value.indices, [[0, 0], [1, 1]])


def test_a_loop_may_grow_a_sparse_tensor(sess):
    sp = tf.SparseTensor(tf.zeros([0, 1], tf.int64), tf.zeros([0]), [5])

    def body(i, s):
        index = tf.reshape(tf.cast(i, tf.int64), [1, 1])
        value = tf.reshape(tf.cast(i * i, tf.float32), [1])
        grown = tf.SparseTensor(tf.concat([s.indices, index], 0), tf.concat([s.values, value], 0),
                                s.dense_shape)  # fmt: skip
        return i + 1, grown

    _, out = tf.while_loop(lambda i, s: i < 4, body, [0, sp])
    np.testing.assert_allclose(sess.run(tf.sparse.to_dense(out)), [0.0, 1.0, 4.0, 9.0, 0.0])


def test_indexed_slices_as_a_loop_variable(sess):
    slices = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([1]), tf.constant([3, 2]))

    def body(i, s):
        return i + 1, tf.IndexedSlices(s.values * 2.0, s.indices, s.dense_shape)

    _, out = tf.while_loop(lambda i, s: i < 3, body, [0, slices])
    assert isinstance(out, tf.IndexedSlices)
    np.testing.assert_allclose(sess.run(out.values), [[8.0, 16.0]])
    np.testing.assert_allclose(sess.run(tf.convert_to_tensor(out))[1], [8.0, 16.0])


def test_sparse_and_dense_branches_are_tfs_structure_error():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0]], [1.0], [2, 2])
        with pytest.raises(ValueError, match="The two structures don't have the same nested"):
            tf.cond(tf.constant(True), lambda: sp, lambda: tf.constant(1.0))


State = collections.namedtuple("State", ["step", "acc"])


def test_nested_structures_through_loops_and_conds(sess):
    init = {"s": State(tf.constant(0), {"a": tf.constant(1.0), "b": [tf.constant(2.0)]})}

    def body(v):
        s = v["s"]
        acc = {"a": s.acc["a"] * 2.0, "b": [s.acc["b"][0] + 1.0]}
        return {"s": State(s.step + 1, acc)}

    r = tf.while_loop(lambda v: v["s"].step < 3, body, [init], return_same_structure=True)
    assert isinstance(r, list) and isinstance(r[0]["s"], State)
    c = tf.cond(r[0]["s"].step > 2, lambda: r[0]["s"].acc, lambda: {"a": 0.0, "b": [0.0]})
    out = sess.run({"loop": r, "cond": c})
    assert out["loop"][0]["s"] == State(3, {"a": 8.0, "b": [5.0]})
    assert out["cond"] == {"a": 8.0, "b": [5.0]}


def test_tensor_array_element_shape_learned_inside_the_loop(sess):
    ta = tf.TensorArray(tf.float32, size=4)  # no element_shape: the first write sets it
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])

    def body(i, ta):
        return i + 1, ta.write(i, x * tf.cast(i, tf.float32))

    _, ta = tf.while_loop(lambda i, ta: i < 4, body, [0, ta])
    stacked = ta.stack()
    assert stacked.shape.as_list() == [4, 2, 2]
    np.testing.assert_allclose(sess.run(stacked), np.arange(4)[:, None, None] * [[1, 2], [3, 4]])
