"""SparseTensor, its feeding and fetching, to_dense and dense matmul against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {
    "SparseToDense", "SparseTensorDenseMatMul", "SparseReduceSum", "SparseReduceSumSparse",
    "SparseAdd", "SparseAddGrad", "SparseTensorDenseAdd", "SparseReorder", "SparseReshape",
    "SparseConcat", "SparseSlice", "SparseSplit", "SparseFillEmptyRows", "SparseSoftmax",
}
GRADIENT_CHECKED = {
    "SparseToDense", "SparseTensorDenseMatMul", "SparseReduceSum", "SparseAdd",
    "SparseTensorDenseAdd", "SparseReorder", "SparseFillEmptyRows", "SparseSoftmax",
}
NOT_DIFFERENTIABLE: dict = {
    "SparseReduceSumSparse": "NotDifferentiable in TF (a sparse result's structure)",
    "SparseAddGrad": "a gradient op (NotDifferentiable in TF)",
    "SparseReshape": "int64 indices and shapes only (values pass through unchanged)",
    "SparseConcat": "NotDifferentiable in TF1",
    "SparseSlice": "no gradient yet (TF added SparseSliceGrad late in 1.x)",
    "SparseSplit": "no gradient in TF1",
}

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


def test_sparse_placeholder_names_are_tfs(graph):
    # TF's `name/values`, `name/indices`, `name/shape` (a Const when the shape is known).
    named = tf.sparse_placeholder(tf.float32, [None, 3], name="sp")
    assert [named.values.name, named.indices.name, named.dense_shape.name] == [
        "sp/values:0", "sp/indices:0", "sp/shape:0",
    ]  # fmt: skip
    known = tf.sparse_placeholder(tf.float32, [2, 3], name="k")
    assert known.dense_shape.op.type == "Const" and known.indices.shape.as_list() == [None, 2]
    unnamed = tf.sparse_placeholder(tf.float32)
    assert [unnamed.dense_shape.name, unnamed.values.name, unnamed.indices.name] == [
        "Placeholder:0", "Placeholder_1:0", "Placeholder_2:0",
    ]  # fmt: skip


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


# -- the SparseTensor algebra ---------------------------------------------------------------

IDX3 = np.array([[0, 0, 1], [0, 2, 0], [1, 1, 1], [1, 2, 3]], np.int64)
VALS3 = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
SHAPE3 = (2, 3, 4)


def _run(x):
    with tf.Session() as sess:
        return sess.run(x)


def _to_dense(v):
    if len(v.dense_shape) == 0:
        return np.sum(v.values)
    return _dense(np.asarray(v.indices).reshape(-1, len(v.dense_shape)), v.values,
                  tuple(v.dense_shape))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), ([0, 2], True), (-1, True)])
def test_sparse_reduce_sum(graph, axis, keepdims):
    st = tf.SparseTensor(IDX3, VALS3, SHAPE3)
    out = tf.sparse_reduce_sum(st, axis=axis, keepdims=keepdims)
    sp = tf.sparse.reduce_sum_sparse(st, axis=axis, keepdims=keepdims)
    ref = _dense(IDX3, VALS3, SHAPE3).sum(axis=None if axis is None else tuple(np.atleast_1d(axis)),
                                          keepdims=keepdims)
    got, got_sp = _run([out, sp])
    assert out.shape.as_list() == list(np.shape(ref))
    np.testing.assert_allclose(got, ref)
    np.testing.assert_allclose(_to_dense(got_sp), np.reshape(ref, got_sp.dense_shape))
    flat = [tuple(r) for r in got_sp.indices]
    assert flat == sorted(flat)


def test_sparse_reduce_sum_bad_axis(graph):
    with pytest.raises(ValueError, match="Invalid reduction dimension"):
        tf.sparse_reduce_sum(tf.SparseTensor(IDX, VALS, [3, 4]), axis=2)


def test_sparse_add_sparse_and_dense(graph):
    a = tf.SparseTensor([[0, 1], [1, 0], [2, 2]], [1.0, 2.0, 3.0], [3, 3])
    b = tf.SparseTensor([[0, 0], [1, 0], [2, 2]], [5.0, -1.9, -3.0], [3, 3])
    s0, s1, d = tf.sparse_add(a, b), tf.sparse.add(a, b, thresh=0.5), tf.sparse_add(
        np.ones((3, 3), np.float32), a)
    v0, v1, dv = _run([s0, s1, d])
    np.testing.assert_array_equal(v0.indices, [[0, 0], [0, 1], [1, 0], [2, 2]])
    np.testing.assert_allclose(v0.values, [5.0, 1.0, 0.1, 0.0], atol=1e-6)
    np.testing.assert_array_equal(v1.indices, [[0, 0], [0, 1]])
    np.testing.assert_allclose(dv, 1 + _dense(np.array([[0, 1], [1, 0], [2, 2]]),
                                              np.array([1.0, 2.0, 3.0], np.float32), (3, 3)))
    with pytest.raises(TypeError, match="SparseTensor"):
        tf.sparse_add(tf.ones([2]), tf.ones([2]))


def test_sparse_reorder_transpose_reshape(graph):
    perm = [2, 0, 3, 1]
    st = tf.SparseTensor(IDX3[perm], VALS3[perm], SHAPE3)
    r = tf.sparse_reorder(st)
    t = tf.sparse.transpose(tf.SparseTensor(IDX3, VALS3, SHAPE3), [2, 0, 1])
    rs = tf.sparse_reshape(tf.SparseTensor(IDX3, VALS3, SHAPE3), [-1, 4])
    rv, tv, rsv = _run([r, t, rs])
    np.testing.assert_array_equal(rv.indices, IDX3)
    np.testing.assert_array_equal(rv.values, VALS3)
    dense = _dense(IDX3, VALS3, SHAPE3)
    np.testing.assert_array_equal(_to_dense(tv), dense.transpose(2, 0, 1))
    flat = [tuple(x) for x in tv.indices]
    assert flat == sorted(flat)
    np.testing.assert_array_equal(rsv.dense_shape, [6, 4])
    np.testing.assert_array_equal(_to_dense(rsv), dense.reshape(6, 4))
    with pytest.raises(ValueError, match="reshape"):
        tf.sparse_reshape(tf.SparseTensor(IDX3, VALS3, SHAPE3), [5, -1])


def test_sparse_reshape_fed_shape_errors(graph):
    sp = tf.sparse_placeholder(tf.float32)
    rs = tf.sparse_reshape(sp, [7])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="dense values"):
            sess.run(rs, {sp: (IDX, VALS, np.array([3, 4]))})


def test_sparse_retain_and_default_transpose(graph):
    st = tf.SparseTensor(IDX3, VALS3, SHAPE3)
    kept = tf.sparse_retain(st, [True, False, False, True])
    t = tf.sparse_transpose(tf.SparseTensor(IDX, VALS, [3, 4]))
    kv, tv = _run([kept, t])
    np.testing.assert_array_equal(kv.indices, IDX3[[0, 3]])
    np.testing.assert_array_equal(kv.values, VALS3[[0, 3]])
    np.testing.assert_array_equal(_to_dense(tv), _dense(IDX, VALS, (3, 4)).T)


def test_sparse_concat(graph):
    a = tf.SparseTensor([[0, 2], [1, 0], [1, 1]], [1, 2, 3], [2, 3])
    b = tf.SparseTensor([[0, 1], [0, 2]], [4, 5], [2, 4])
    c = tf.SparseTensor([[2, 0]], [6], [3, 1])
    out, wide = tf.sparse_concat(1, [a, b]), tf.sparse.concat(1, [a, c], expand_nonconcat_dim=True)
    v, w = _run([out, wide])
    np.testing.assert_array_equal(v.indices, [[0, 2], [0, 4], [0, 5], [1, 0], [1, 1]])
    np.testing.assert_array_equal(v.values, [1, 4, 5, 2, 3])
    np.testing.assert_array_equal(v.dense_shape, [2, 7])
    np.testing.assert_array_equal(w.dense_shape, [3, 4])
    np.testing.assert_array_equal(w.indices, [[0, 2], [1, 0], [1, 1], [2, 3]])


def test_sparse_slice_and_split(graph):
    st = tf.SparseTensor(IDX3, VALS3, SHAPE3)
    sl = tf.sparse_slice(st, [0, 1, 1], [5, 2, 2])
    parts = tf.sparse_split(sp_input=st, num_split=2, axis=2)
    odd = tf.sparse.split(sp_input=st, num_split=2, axis=1)
    sv, pv, ov = _run([sl, parts, odd])
    dense = _dense(IDX3, VALS3, SHAPE3)
    np.testing.assert_array_equal(sv.dense_shape, [2, 2, 2])
    np.testing.assert_array_equal(_to_dense(sv), dense[:, 1:3, 1:3])
    np.testing.assert_array_equal(_to_dense(pv[0]), dense[:, :, :2])
    np.testing.assert_array_equal(_to_dense(pv[1]), dense[:, :, 2:])
    np.testing.assert_array_equal(_to_dense(ov[0]), dense[:, :2])
    np.testing.assert_array_equal(_to_dense(ov[1]), dense[:, 2:])
    with pytest.raises(ValueError, match="Keyword"):
        tf.sparse_split(st, 2, 1)


def test_sparse_fill_empty_rows(graph):
    st = tf.SparseTensor([[1, 0], [1, 3], [3, 1]], [1.0, 2.0, 3.0], [5, 4])
    sp, empty = tf.sparse_fill_empty_rows(st, -1.0)
    v, e = _run([sp, empty])
    np.testing.assert_array_equal(v.indices, [[0, 0], [1, 0], [1, 3], [2, 0], [3, 1], [4, 0]])
    np.testing.assert_array_equal(v.values, [-1, 1, 2, -1, 3, -1])
    np.testing.assert_array_equal(e, [True, False, True, False, True])


def test_sparse_softmax(graph):
    st = tf.SparseTensor(IDX3, VALS3, SHAPE3)
    idx = np.array([[0, 0], [0, 2], [1, 1]], np.int64)
    v2 = _run(tf.sparse_softmax(tf.SparseTensor(idx, [1.0, 2.0, 3.0], [2, 3])))
    e = np.exp([1.0, 2.0])
    np.testing.assert_allclose(v2.values, [e[0] / e.sum(), e[1] / e.sum(), 1.0], rtol=1e-6)
    np.testing.assert_allclose(_run(tf.sparse.softmax(st)).values, np.ones(4))


def test_sparse_to_indicator_and_mask(graph):
    st = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [0, 3, 2], [2, 2])
    ind = tf.sparse.to_indicator(st, 4)
    a = tf.IndexedSlices(tf.constant([[1.0], [2.0], [3.0]]), tf.constant([12, 26, 37]),
                         tf.constant([50, 1]))
    m = tf.sparse_mask(a, [12, 45])
    iv, mv, mi = _run([ind, m.values, m.indices])
    np.testing.assert_array_equal(iv, [[1, 0, 0, 1], [0, 0, 1, 0]])
    assert iv.dtype == bool
    np.testing.assert_array_equal(mi, [26, 37])
    np.testing.assert_array_equal(mv, [[2.0], [3.0]])


def test_sparse_algebra_gradients(graph):
    check_gradients(lambda v: tf.sparse_reduce_sum(tf.SparseTensor(IDX3, v, SHAPE3), axis=1),
                    VALS3.astype(np.float64))
    check_gradients(lambda v: tf.sparse_add(tf.SparseTensor(IDX, v, [3, 4]), tf.ones([3, 4],
                    tf.float64)), np.array([1.0, 2.0]))
    check_gradients(lambda d: tf.sparse_add(tf.SparseTensor(IDX, np.array([1.0, 2.0]), [3, 4]), d),
                    np.ones((3, 4)))
    b_idx = np.array([[0, 1], [1, 1]], np.int64)
    check_gradients(lambda u, v: tf.sparse_add(tf.SparseTensor(IDX, u, [3, 4]),
                                               tf.SparseTensor(b_idx, v, [3, 4])).values,
                    np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    check_gradients(lambda v: tf.sparse_reorder(tf.SparseTensor(IDX3[::-1], v, SHAPE3)).values,
                    VALS3.astype(np.float64))
    check_gradients(lambda v, d: tf.sparse_fill_empty_rows(
        tf.SparseTensor(IDX, v, [4, 4]), d)[0].values, np.array([1.0, 2.0]), np.array(0.5))
    check_gradients(lambda v: tf.sparse_softmax(tf.SparseTensor(IDX3, v, SHAPE3)).values,
                    np.array([1.0, 2.0, 3.0, 4.0]))
    check_gradients(lambda v: tf.sparse_softmax(tf.SparseTensor(
        [[0, 0], [0, 2], [1, 1]], v, [2, 3])).values, np.array([0.5, 2.0, 3.0]))
