"""RaggedTensor: factories, row partitions, dense conversions, `tf.ragged.constant`, fetches
as RaggedTensorValue, validation of row splits, and gradients through `to_tensor`."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients


def run(fn, feed=None):
    with tf.Graph().as_default() as g:
        out = fn()
        with tf.Session(graph=g) as sess:
            return sess.run(out, feed)


def rows(values, splits):
    return [list(values[a:b]) for a, b in zip(splits[:-1], splits[1:])]


def test_factories_agree_on_one_partition():
    values = [3, 1, 4, 1, 5, 9]
    expected = [[3, 1], [], [4, 1, 5], [9], []]
    RT = tf.RaggedTensor
    got = run(
        lambda: [
            RT.from_row_splits(values, [0, 2, 2, 5, 6, 6]),
            RT.from_row_lengths(values, [2, 0, 3, 1, 0]),
            RT.from_value_rowids(values, [0, 0, 2, 2, 2, 3], nrows=5),
        ]
    )
    for value in got:
        assert isinstance(value, tf.ragged.RaggedTensorValue)
        assert value.to_list() == expected
        assert value.row_splits.tolist() == [0, 2, 2, 5, 6, 6]
    no_nrows = run(lambda: RT.from_value_rowids(values, [0, 0, 2, 2, 2, 3]))
    assert no_nrows.to_list() == expected[:4]


def test_properties_and_row_partitions():
    with tf.Graph().as_default():
        rt = tf.RaggedTensor.from_row_splits(tf.constant([[1.0, 2.0]] * 4), [0, 3, 3, 4])
        assert rt.ragged_rank == 1 and rt.dtype == tf.float32
        assert rt.shape.as_list() == [3, None, 2] and rt.row_splits_dtype == tf.int64
        assert rt.flat_values is rt.values and rt.nested_row_splits == (rt.row_splits,)
        parts = [rt.nrows(), rt.row_lengths(), rt.row_starts(), rt.row_limits(), rt.value_rowids()]
        with tf.Session() as sess:
            nrows, lengths, starts, limits, rowids = sess.run(parts)
    assert nrows == 3 and lengths.tolist() == [3, 0, 1]
    assert starts.tolist() == [0, 3, 3] and limits.tolist() == [3, 3, 4]
    assert rowids.tolist() == [0, 0, 0, 2]


def test_nested_ragged_tensor():
    pylist = [[[1, 2], [3]], [], [[4], [], [5, 6, 7]]]
    with tf.Graph().as_default():
        rt = tf.ragged.constant(pylist)
        assert rt.ragged_rank == 2 and rt.shape.as_list() == [3, None, None]
        assert len(rt.nested_row_splits) == 2 and rt.flat_values.shape.as_list() == [7]
        with tf.Session() as sess:
            value, lengths = sess.run([rt, rt.row_lengths(axis=2)])
    assert value.to_list() == pylist and value.ragged_rank == 2
    assert value.flat_values.tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert [s.tolist() for s in value.nested_row_splits] == [[0, 2, 2, 5], [0, 2, 3, 4, 4, 7]]
    assert lengths.to_list() == [[2, 1], [], [1, 0, 3]]
    assert value.shape == (3, None, None)


def test_to_tensor_pads_with_the_default():
    got = run(
        lambda: [
            tf.ragged.constant([[1, 2], [], [3]]).to_tensor(),
            tf.ragged.constant([[1.5], [2.0, 3.0]]).to_tensor(default_value=-1.0),
            tf.ragged.constant([[[1, 2], [3]], [[4]]]).to_tensor(9),
            tf.ragged.constant([[[1, 2]], [], [[3, 4], [5, 6]]], ragged_rank=1).to_tensor(),
        ]
    )
    assert got[0].tolist() == [[1, 2], [0, 0], [3, 0]]
    assert got[1].tolist() == [[1.5, -1.0], [2.0, 3.0]]
    assert got[2].tolist() == [[[1, 2], [3, 9]], [[4, 9], [9, 9]]]
    assert got[3].tolist() == [[[1, 2], [0, 0]], [[0, 0], [0, 0]], [[3, 4], [5, 6]]]


def test_to_tensor_of_fed_row_splits():
    with tf.Graph().as_default():
        splits = tf.placeholder(tf.int64, [None])
        values = tf.placeholder(tf.float32, [None])
        dense = tf.RaggedTensor.from_row_splits(values, splits).to_tensor()
        assert dense.shape.as_list() == [None, None]
        with tf.Session() as sess:
            for v, s in (([1.0, 2.0, 3.0], [0, 1, 3]), ([4.0], [0, 0, 1, 1])):
                expected = [r + [0.0] * (max(map(len, rows(v, s))) - len(r)) for r in rows(v, s)]
                assert sess.run(dense, {values: v, splits: s}).tolist() == expected


def test_from_tensor_lengths_padding_and_ragged_rank():
    dense = np.arange(1, 13).reshape(2, 3, 2)
    RT = tf.RaggedTensor
    got = run(
        lambda: [
            RT.from_tensor(dense),
            RT.from_tensor([[1, 2, 0], [3, 0, 0], [0, 0, 0]], padding=0),
            RT.from_tensor([[1, 2, 3], [4, 5, 6]], lengths=[1, 5]),
            RT.from_tensor(dense, ragged_rank=2),
            RT.from_tensor(dense, lengths=[2, 0, 1, 2, 1, 0], ragged_rank=2),
            RT.from_tensor([[[1, 0], [0, 0]], [[0, 0], [2, 3]]], padding=[0, 0]),
        ]
    )
    assert got[0].to_list() == dense.tolist()
    assert got[1].to_list() == [[1, 2], [3], []]
    assert got[2].to_list() == [[1], [4, 5, 6]]  # lengths are clipped to the row width
    assert got[3].to_list() == dense.tolist() and got[3].ragged_rank == 2
    assert got[4].to_list() == [[[1, 2], [], [5]], [[7, 8], [9], []]]
    assert got[5].to_list() == [[[1, 0]], [[0, 0], [2, 3]]]


def test_constant_ragged_rank_and_inner_shape():
    with tf.Graph().as_default():
        dense = tf.ragged.constant([[1, 2], [3, 4]], ragged_rank=0)
        assert isinstance(dense, tf.Tensor) and dense.shape.as_list() == [2, 2]
        inner = tf.ragged.constant([[[1, 2]], [], [[3, 4], [5, 6]]], inner_shape=(2,))
        assert inner.ragged_rank == 1 and inner.shape.as_list() == [3, None, 2]
        empty = tf.ragged.constant([[], []])
        assert empty.dtype == tf.float32 and empty.shape.as_list() == [2, None]
        typed = tf.ragged.constant([[1], []], dtype=tf.float64, row_splits_dtype=tf.int32)
        assert typed.dtype == tf.float64 and typed.row_splits.dtype == tf.int32
        with tf.Session() as sess:
            assert sess.run(inner).to_list() == [[[1, 2]], [], [[3, 4], [5, 6]]]
            assert sess.run(empty).to_list() == [[], []]
    value = tf.ragged.constant_value([["a", "bc"], []])
    assert value.to_list() == [["a", "bc"], []] and value.row_splits.dtype == np.int64
    assert repr(tf.ragged.constant_value([[1], [2, 3]])) == "<tf.RaggedTensorValue [[1], [2, 3]]>"


def test_constant_rejects_inconsistent_nesting():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="same nesting depth"):
            tf.ragged.constant([[1, [2]]])
        with pytest.raises(ValueError, match="empty list nesting is greater"):
            tf.ragged.constant([[1], [[]]])
        with pytest.raises(ValueError, match="inconsistent shape"):
            tf.ragged.constant([[[1, 2]], [[3]]], ragged_rank=1)
        with pytest.raises(TypeError, match="pylist may not be"):
            tf.ragged.constant(tf.ragged.constant_value([[1]]))


def test_row_splits_are_validated():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="do not form a valid RaggedTensor"):
            tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 2, 1, 3])
        with pytest.raises(ValueError, match="do not form a valid RaggedTensor"):
            tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 2])
        with pytest.raises(ValueError, match="constructor is private"):
            tf.RaggedTensor(tf.constant([1]), tf.constant([0, 1], tf.int64))
        splits = tf.placeholder(tf.int64, [None])
        rt = tf.RaggedTensor.from_row_splits([1, 2, 3], splits)
        with tf.Session() as sess:
            assert sess.run(rt, {splits: [0, 3]}).to_list() == [[1, 2, 3]]
            with pytest.raises(tf.errors.InvalidArgumentError, match="valid RaggedTensor"):
                sess.run(rt, {splits: [0, 2]})


def test_helpers():
    got = run(
        lambda: [
            tf.ragged.row_splits_to_segment_ids([0, 2, 2, 3, 3]),
            tf.ragged.segment_ids_to_row_splits([0, 0, 2], num_segments=4),
            tf.ragged.map_flat_values(tf.multiply, tf.ragged.constant([[1, 2], [3]]), 10),
        ]
    )
    assert got[0].tolist() == [0, 0, 2]
    assert got[1].tolist() == [0, 2, 2, 3, 3]
    assert got[2].to_list() == [[10, 20], [30]]
    assert tf.ragged.is_ragged(got[2]) and not tf.ragged.is_ragged(got[0])


def test_fetch_in_nested_structures():
    got = run(lambda: {"a": [tf.ragged.constant([[1], []]), tf.constant(2)]})
    assert got["a"][0].to_list() == [[1], []] and got["a"][1] == 2


def test_to_tensor_gradient():
    splits = np.array([0, 2, 2, 5], np.int64)

    def dense(values):
        return tf.RaggedTensor.from_row_splits(values, splits).to_tensor(default_value=0.5)

    check_gradients(dense, np.linspace(-1.0, 1.0, 10).reshape(5, 2))
