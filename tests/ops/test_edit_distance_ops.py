"""tf.edit_distance against TF's results."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops.edit_distance_ops import edit_distance
from kernels.edit_distance import levenshtein

OP_TYPES_TESTED = {"EditDistance"}
NOT_DIFFERENTIABLE = {"EditDistance": "TF: NotDifferentiable"}


def test_edit_distance_matches_tf():
    with tf.Graph().as_default():
        hyp = tf.SparseTensor([[0, 0, 0], [1, 0, 0], [1, 0, 1], [1, 1, 0]], ["a", "b", "c", "a"],
                              [2, 2, 2])
        truth = tf.SparseTensor([[0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 0, 2], [1, 1, 0]],
                                ["a", "b", "d", "c", "a"], [2, 2, 3])
        normalized, raw = edit_distance(hyp, truth), edit_distance(hyp, truth, normalize=False)
        assert normalized.op.type == "EditDistance"
        with tf.Session() as sess:
            got = sess.run([normalized, raw])
    np.testing.assert_allclose(got[0], [[np.inf, 1.0], [1 / 3, 0.0]])
    np.testing.assert_array_equal(got[1], [[1.0, 1.0], [1.0, 0.0]])
    assert got[0].dtype == np.float32


@pytest.mark.parametrize("a,b,expected", [
    ("kitten", "sitting", 3), ("", "abc", 3), ("flaw", "lawn", 2), ("same", "same", 0)])
def test_levenshtein(a, b, expected):
    assert levenshtein(list(a), list(b)) == expected


def test_edit_distance_needs_sparse_inputs():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="Hypothesis must be a SparseTensor"):
            edit_distance(tf.constant([1]), tf.constant([1]))
