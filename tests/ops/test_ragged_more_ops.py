"""tf.ragged.range, boolean_mask and stack_dynamic_partitions against numpy / TF's
documented examples."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf


def _run(rt):
    return tf.Session().run(rt).to_list()


def test_range():
    with tf.Graph().as_default():
        assert _run(tf.ragged.range([3, 5, 2], [7, 5, 8], [1, 1, 3])) == [[3, 4, 5, 6], [], [2, 5]]
        assert _run(tf.ragged.range([0, 3, 5])) == [[], [0, 1, 2], [0, 1, 2, 3, 4]]
        assert _run(tf.ragged.range(0, [3, 1], 2)) == [[0, 2], [0]]
        assert _run(tf.ragged.range([5, 0], [0, 0], -2)) == [[5, 3, 1], []]
        got = tf.Session().run(tf.ragged.range([0.0, 1.0], 2.0, 0.5))
        np.testing.assert_allclose(got.to_list()[0], np.arange(0, 2, 0.5))
        assert got.to_list()[1] == [1.0, 1.5]
        with pytest.raises(tf.errors.InvalidArgumentError, match="Requires delta != 0"):
            tf.ragged.range([1], [3], [0])  # known while building, as in TF
        deltas = tf.placeholder(tf.int32, [None])
        fed = tf.ragged.range([1], [3], deltas)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Requires delta != 0"):
            tf.Session().run(fed, {deltas: [0]})


def test_boolean_mask():
    data = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    mask = np.array([[True, False, True], [False, False, False], [True, False, False]])
    with tf.Graph().as_default():
        assert _run(tf.ragged.boolean_mask(data, mask)) == [[1, 3], [], [7]]
        assert tf.Session().run(tf.ragged.boolean_mask(data, [True, False, True])).tolist() == [
            [1, 2, 3],
            [7, 8, 9],
        ]
        rt = tf.ragged.constant([[1, 2, 3], [5, 6]])
        rmask = tf.ragged.constant([[True, False, True], [False, True]])
        assert _run(tf.ragged.boolean_mask(rt, rmask)) == [[1, 3], [6]]


def test_stack_dynamic_partitions():
    with tf.Graph().as_default():
        got = _run(
            tf.ragged.stack_dynamic_partitions(["a", "b", "c", "d", "e"], [3, 0, 2, 2, 3], 5)
        )
        assert got == [[b"b"], [], [b"c", b"d"], [b"a", b"e"], []]
        with pytest.raises(tf.errors.InvalidArgumentError, match="num_partitions"):
            tf.ragged.stack_dynamic_partitions([1, 2], [0, 4], 3)
