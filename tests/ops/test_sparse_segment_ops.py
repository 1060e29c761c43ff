"""Sparse segment reductions (against TF's values and numpy) and SparseTensor helpers."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import sparse_segment_ops as ss
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {
    "SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN",
    "SparseSegmentSumWithNumSegments", "SparseSegmentMeanWithNumSegments",
    "SparseSegmentSqrtNWithNumSegments",
}
GRADIENT_CHECKED = OP_TYPES_TESTED

C = np.array([[1.0, 2, 3, 4], [-1, -2, -3, -4], [5, 6, 7, 8]], np.float32)


@pytest.fixture
def graph():
    with tf.Graph().as_default() as g:
        yield g


def test_values_from_tf(graph):
    outs = [ss.sparse_segment_sum(C, [0, 1, 2], [0, 0, 2]),
            ss.sparse_segment_mean(C, [0, 2, 2], [0, 1, 1]),
            ss.sparse_segment_sqrt_n(C, [0, 1, 2], [0, 0, 0]),
            ss.sparse_segment_sum(C, [0, 2], [1, 1], num_segments=3)]
    assert [t.op.type for t in outs] == ["SparseSegmentSum", "SparseSegmentMean",
                                         "SparseSegmentSqrtN", "SparseSegmentSumWithNumSegments"]
    # TF's shape functions: rows unknown from the ids, known from num_segments.
    assert outs[0].shape.as_list() == [None, 4] and outs[3].shape.as_list() == [3, 4]
    with tf.Session() as sess:
        got = sess.run(outs)
    np.testing.assert_allclose(got[0], [[0, 0, 0, 0], [0, 0, 0, 0], [5, 6, 7, 8]])
    np.testing.assert_allclose(got[1], [[1, 2, 3, 4], [5, 6, 7, 8]])
    np.testing.assert_allclose(got[2], [[2.8867512, 3.4641016, 4.0414519, 4.618802]], rtol=1e-6)
    np.testing.assert_allclose(got[3], [[0, 0, 0, 0], [6, 8, 10, 12], [0, 0, 0, 0]])


def test_with_num_segments_against_numpy(graph):
    rng = np.random.default_rng(0)
    data = rng.uniform(-1, 1, (6, 2)).astype(np.float32)
    indices, ids = np.array([5, 0, 0, 3, 2]), np.array([0, 0, 2, 3, 3])
    rows = data[indices]
    counts = np.maximum(np.bincount(ids, minlength=5), 1)[:, None]
    sums = np.stack([rows[ids == k].sum(0) for k in range(5)])
    outs = [f(data, indices, ids, num_segments=5) for f in
            (ss.sparse_segment_sum, ss.sparse_segment_mean, ss.sparse_segment_sqrt_n)]
    with tf.Session() as sess:
        got = sess.run(outs)
    np.testing.assert_allclose(got[0], sums, rtol=1e-6)
    np.testing.assert_allclose(got[1], sums / counts, rtol=1e-6)
    np.testing.assert_allclose(got[2], sums / np.sqrt(counts), rtol=1e-6)


def test_gradients():
    x = np.random.default_rng(1).uniform(-1, 1, (4, 3))
    idx, ids = [3, 0, 3, 1], [0, 0, 1, 2]
    check_gradients(lambda x: [ss.sparse_segment_sum(x, idx, ids),
                               ss.sparse_segment_mean(x, idx, ids),
                               ss.sparse_segment_sqrt_n(x, idx, ids),
                               ss.sparse_segment_sum(x, idx, ids, num_segments=4),
                               ss.sparse_segment_mean(x, idx, ids, num_segments=4),
                               ss.sparse_segment_sqrt_n(x, idx, ids, num_segments=4)], x)


def test_sparse_helpers(graph):
    dense = np.array([[0, 3, 0], [4, 0, 5]], np.int32)
    sp = tf.SparseTensor([[0, 1], [1, 0]], [7.0, 8.0], [2, 3])
    merged = ss.sparse_merge(tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [4, 1, 2], [2, 2]),
                             tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [0.5, 0.25, 2.0], [2, 2]),
                             6)
    outs = [ss.from_dense(dense), ss.eye(2, 3), ss.expand_dims(sp, 1),
            ss.sparse_reset_shape(sp), merged]
    with tf.Session() as sess:
        got = sess.run(outs)
    assert got[0].indices.tolist() == [[0, 1], [1, 0], [1, 2]] and got[0].values.tolist() == [
        3, 4, 5]
    assert got[1].indices.tolist() == [[0, 0], [1, 1]] and got[1].dense_shape.tolist() == [2, 3]
    assert got[2].indices.tolist() == [[0, 0, 1], [1, 0, 0]]
    assert got[2].dense_shape.tolist() == [2, 1, 3]
    assert got[3].dense_shape.tolist() == [2, 2]
    assert got[4].indices.tolist() == [[0, 1], [0, 4], [1, 2]]  # TF's result
    assert got[4].values.tolist() == [0.25, 0.5, 2.0] and got[4].dense_shape.tolist() == [2, 6]
