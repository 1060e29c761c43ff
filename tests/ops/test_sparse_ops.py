"""SparseTensor, its feeding and fetching, to_dense and dense matmul against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {"SparseToDense", "SparseTensorDenseMatMul"}
GRADIENT_CHECKED = {"SparseToDense", "SparseTensorDenseMatMul"}
NOT_DIFFERENTIABLE: dict = {}

IDX = np.array([[0, 1], [2, 3]], np.int64)
VALS = np.array([1.0, 2.0], np.float32)


def _dense(idx, vals, shape, default=0):
    out = np.full(shape, default, vals.dtype)
    out[tuple(idx.T)] = vals
    return out


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def test_sparse_tensor_properties_fetch_and_eval(graph):
    st = tf.SparseTensor(IDX, VALS, [3, 4])
    assert st.dtype == tf.float32 and st.get_shape().as_list() == [3, 4]
    assert st.graph is graph and st.op is st.values.op and st.indices.dtype == tf.int64
    with tf.Session() as sess:
        value = sess.run(st)
        assert isinstance(value, tf.SparseTensorValue)
        np.testing.assert_array_equal(value.indices, IDX)
        np.testing.assert_array_equal(value.values, VALS)
        np.testing.assert_array_equal(value.dense_shape, [3, 4])
        assert st.eval().values.dtype == np.float32
        d, nested = sess.run([tf.sparse.to_dense(st, default_value=-1.0), {"s": st}])
    np.testing.assert_array_equal(d, _dense(IDX, VALS, (3, 4), -1.0))
    assert isinstance(nested["s"], tf.SparseTensorValue)


def test_sparse_placeholder_feeds(graph):
    sp = tf.sparse_placeholder(tf.float32, [3, 4])
    d = tf.sparse_tensor_to_dense(sp)
    assert d.shape.as_list() == [3, 4] and d.dtype == tf.float32
    with tf.Session() as sess:
        for feed in [tf.SparseTensorValue(IDX, VALS, [3, 4]), (IDX, VALS, np.array([3, 4]))]:
            np.testing.assert_array_equal(sess.run(d, {sp: feed}), _dense(IDX, VALS, (3, 4)))
        with pytest.raises(TypeError, match="SparseTensor"):
            sess.run(d, {sp: VALS})


def test_sparse_to_dense(graph):
    out = tf.sparse_to_dense([1, 3], [5], [7, 8], default_value=-1)
    assert out.shape.as_list() == [5] and out.dtype == tf.int32
    scalar_value = tf.sparse_to_dense(IDX, [3, 4], 1.5)
    with tf.Session() as sess:
        a, b = sess.run([out, scalar_value])
    np.testing.assert_array_equal(a, [-1, 7, -1, 8, -1])
    np.testing.assert_array_equal(b, _dense(IDX, np.array([1.5, 1.5]), (3, 4)))


@pytest.mark.parametrize("adjoint_a, adjoint_b", [(False, False), (True, False), (False, True)])
def test_sparse_tensor_dense_matmul(graph, adjoint_a, adjoint_b):
    shape = (4, 3) if adjoint_a else (3, 4)
    idx = IDX[:, ::-1] if adjoint_a else IDX
    a = _dense(idx, VALS, shape)
    b = np.arange(8, dtype=np.float32).reshape((2, 4) if adjoint_b else (4, 2))
    bp = tf.placeholder(tf.float32, [None, None])
    out = tf.sparse_tensor_dense_matmul(tf.SparseTensor(idx, VALS, shape), bp, adjoint_a, adjoint_b)
    assert out.op.type == "SparseTensorDenseMatMul" and out.shape.as_list() == [3, None]
    with tf.Session() as sess:
        got = sess.run(out, {bp: b})
    ref = (a.T if adjoint_a else a) @ (b.T if adjoint_b else b)
    np.testing.assert_allclose(got, ref)
    assert got.dtype == np.float32


def test_sparse_gradients(graph):
    check_gradients(lambda v: tf.sparse_to_dense(IDX, [3, 4], v), np.array([1.0, 2.0]))
    b = np.arange(8.0).reshape(4, 2)
    check_gradients(
        lambda v, m: tf.sparse_tensor_dense_matmul(tf.SparseTensor(IDX, v, [3, 4]), m),
        np.array([1.0, 2.0]),
        b,
    )
