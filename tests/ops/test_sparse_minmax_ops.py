"""tf.sparse.maximum/minimum and tf.sparse.reduce_max (dense and sparse) against TF's
values and numpy."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {
    "SparseReduceMax",
    "SparseReduceMaxSparse",
    "SparseSparseMaximum",
    "SparseSparseMinimum",
}
NOT_DIFFERENTIABLE = {
    "SparseReduceMax": "TF registers no gradient",
    "SparseReduceMaxSparse": "TF registers no gradient",
    "SparseSparseMaximum": "TF's gradient raises NotImplementedError",
    "SparseSparseMinimum": "TF's gradient raises NotImplementedError",
}


def _sp(indices, values, shape):
    return tf.SparseTensor(indices, values, shape)


def test_reduce_max_matches_tf():
    with tf.Graph().as_default():
        ints = _sp([[0, 0], [0, 2], [2, 1]], [-3, -1, 5], [3, 3])
        floats = _sp([[0, 0], [0, 2], [2, 1]], [-3.0, -1.0, -5.0], [3, 3])
        fed = tf.sparse_placeholder(tf.float32)
        got = tf.Session().run(
            [
                tf.sparse_reduce_max(ints, axis=1),
                tf.sparse.reduce_max(ints, axis=0, keepdims=True),
                tf.sparse_reduce_max(ints),
                tf.sparse_reduce_max(floats, axis=0),
                tf.sparse_reduce_max_sparse(floats, axis=0, keepdims=True),
                tf.sparse.reduce_max_sparse(ints, reduction_axes=[1]),
                tf.sparse_reduce_max(fed, 1),
            ],
            {fed: tf.SparseTensorValue([[1, 0], [1, 3]], [2.0, 7.0], [2, 4])},
        )
    # TF 2.21's values for the same inputs.
    assert got[0].tolist() == [-1, 0, 5] and got[1].tolist() == [[-3, 5, -1]] and got[2] == 5
    assert got[3].tolist() == [-3.0, -5.0, -1.0]
    assert got[4].indices.tolist() == [[0, 0], [0, 1], [0, 2]]
    assert got[4].values.tolist() == [-3.0, -5.0, -1.0] and got[4].dense_shape.tolist() == [1, 3]
    assert got[5].indices.tolist() == [[0], [2]] and got[5].values.tolist() == [-1, 5]
    assert got[6].tolist() == [0.0, 7.0]


def test_maximum_and_minimum_match_tf():
    with tf.Graph().as_default():
        a = _sp([[0, 0], [1, 1]], [1.0, -2.0], [2, 2])
        b = _sp([[0, 0], [0, 1]], [3.0, -4.0], [2, 2])
        got = tf.Session().run([tf.sparse.maximum(a, b), tf.sparse_minimum(a, b)])
        bad = tf.sparse_maximum(a, _sp([[0, 0]], [1.0], [3, 3]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="same ranks or shapes"):
            tf.Session().run(bad)
    for value in got:
        assert value.indices.tolist() == [[0, 0], [0, 1], [1, 1]]
        assert value.dense_shape.tolist() == [2, 2]
    assert got[0].values.tolist() == [3.0, 0.0, 0.0] and got[1].values.tolist() == [1.0, -4.0, -2.0]


def test_against_dense_numpy():
    rng = np.random.default_rng(5)
    dense = np.where(rng.random((4, 5, 3)) < 0.4, rng.normal(size=(4, 5, 3)), 0.0)
    idx = np.argwhere(dense != 0)
    with tf.Graph().as_default():
        sp = _sp(idx, dense[tuple(idx.T)], dense.shape)
        got = tf.Session().run(tf.sparse_reduce_max(sp, axis=[0, 2]))
    present = dense != 0
    want = np.where(present.any((0, 2)), np.where(present, dense, -np.inf).max((0, 2)), 0.0)
    np.testing.assert_allclose(got, want)
