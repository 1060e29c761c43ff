"""tf.sets against TensorFlow's results (values from TF 2.21, tf.compat.v1 graph mode)."""

from __future__ import annotations

import pytest

import flowgraph as tf
from flowgraph.ops import sets_ops as sets

OP_TYPES_TESTED = {"DenseToDenseSetOperation", "DenseToSparseSetOperation",
                   "SparseToSparseSetOperation", "SetSize"}
NOT_DIFFERENTIABLE = {t: "integer or string sets (TF: NotDifferentiable)" for t in OP_TYPES_TESTED}

A = [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [1, 1, 2]]]
B = ([[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 1, 2]], [2, 4, 9, 1], [2, 2, 3])


@pytest.fixture
def graph():
    with tf.Graph().as_default() as g:
        yield g


def _as_lists(value):
    return value.indices.tolist(), value.values.tolist(), value.dense_shape.tolist()


def test_set_operations_match_tf(graph):
    a, b = tf.constant(A), tf.SparseTensor(*B)
    outs = [sets.set_intersection(a, b), sets.set_difference(a, b), sets.set_difference(b, a),
            sets.set_union(a, a), sets.set_size(b)]
    with tf.Session() as sess:
        got = sess.run(outs)
    assert _as_lists(got[0]) == ([[0, 0, 0], [0, 1, 0], [1, 1, 0]], [2, 4, 1], [2, 2, 1])
    assert _as_lists(got[1]) == (
        [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1], [1, 0, 2], [1, 1, 0]],
        [1, 3, 5, 6, 7, 8, 9, 2], [2, 2, 3])
    assert _as_lists(got[2]) == ([[0, 1, 0]], [9], [2, 2, 1])  # sparse - dense: flipped
    assert got[3].values.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2]
    assert got[3].dense_shape.tolist() == [2, 2, 3]
    assert got[4].tolist() == [[1, 2], [0, 1]]


def test_string_sets_and_sparse_pairs(graph):
    strings = sets.set_intersection(tf.constant([["a", "b"], ["c", "a"]]),
                                    tf.constant([["b", "z"], ["a", "c"]]))
    sp = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [5, 3, 5], [2, 2])
    union = sets.set_union(sp, tf.SparseTensor([[0, 0], [1, 1]], [4, 2], [2, 2]))
    with tf.Session() as sess:
        got_strings, got_union = sess.run([strings, union])
    assert _as_lists(got_strings) == ([[0, 0], [1, 0], [1, 1]], [b"b", b"a", b"c"], [2, 2])
    assert _as_lists(got_union) == ([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]], [3, 4, 5, 2, 5],
                                    [2, 3])
    assert union.indices.op.type == "SparseToSparseSetOperation"


def test_errors(graph):
    with pytest.raises(TypeError, match="Types don't match"):
        sets.set_union(tf.constant([[1]]), tf.constant([[1]], tf.int64))
    with pytest.raises(TypeError, match="Invalid dtype"):
        sets.set_union(tf.constant([[1.0]]), tf.constant([[1.0]]))
    with pytest.raises(TypeError, match="SparseTensor"):
        sets.set_size(tf.constant([[1]]))
    bad = sets.set_union(tf.constant([[1, 2]]), tf.constant([[1], [2]]))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="must match"):
            sess.run(bad)
