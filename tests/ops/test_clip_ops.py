"""Clipping ops against numpy: by value, by norm (over axes), by global and average norm."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework.indexed_slices import IndexedSlices

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((3, 4)) * 3).astype(np.float32)
Y = RNG.standard_normal((5,)).astype(np.float32)


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _run(*fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(list(fetches), feed_dict)


def _np_clip_by_norm(t, clip_norm, axes=None):
    l2 = np.sqrt(np.sum(t * t, axis=None if axes is None else tuple(axes), keepdims=True))
    return t * clip_norm / np.maximum(l2, clip_norm)


def _np_global_norm(arrays):
    return np.sqrt(sum(np.sum(a.astype(np.float64) ** 2) for a in arrays))


# -- clip_by_value ---------------------------------------------------------------------------


def test_clip_by_value_matches_numpy(graph):
    lo = tf.placeholder(tf.float32, [])
    clipped = tf.clip_by_value(X, lo, 2.0)
    ints = tf.clip_by_value(tf.constant([[1, 20, 13], [3, 21, 13]]), 0, 3)
    per_element = tf.clip_by_value(X, np.full(X.shape, -1.0, np.float32), X.max(axis=0))
    got = _run(clipped, ints, per_element, feed_dict={lo: -0.5})
    np.testing.assert_allclose(got[0], np.clip(X, -0.5, 2.0))
    np.testing.assert_array_equal(got[1], [[1, 3, 3], [3, 3, 3]])
    np.testing.assert_allclose(got[2], np.clip(X, -1.0, X.max(axis=0)))
    assert clipped.op.name == "clip_by_value" and clipped.shape.as_list() == [3, 4]


def test_clip_by_value_refuses_to_broadcast_past_the_input(graph):
    with pytest.raises(ValueError):
        tf.clip_by_value(tf.constant([1.0, 2.0]), 0.0, tf.constant([[1.0], [2.0]]))


def test_clip_by_value_keeps_indexed_slices(graph):
    slices = IndexedSlices(tf.constant(X), tf.constant([0, 2, 5]), tf.constant([6, 4]))
    clipped = tf.clip_by_value(slices, -1.0, 1.0)
    assert isinstance(clipped, IndexedSlices) and clipped.indices is slices.indices
    np.testing.assert_allclose(_run(clipped.values)[0], np.clip(X, -1.0, 1.0))


# -- clip_by_norm ----------------------------------------------------------------------------


@pytest.mark.parametrize("clip_norm", [0.5, 4.0, 100.0])
@pytest.mark.parametrize("axes", [None, [0], [1], [0, 1]])
def test_clip_by_norm_matches_numpy(graph, clip_norm, axes):
    clipped = tf.clip_by_norm(tf.constant(X), clip_norm, axes=axes)
    assert clipped.op.name == "clip_by_norm" and clipped.shape.as_list() == [3, 4]
    np.testing.assert_allclose(_run(clipped)[0], _np_clip_by_norm(X, clip_norm, axes), rtol=1e-6)


def test_clip_by_norm_of_zeros_is_zeros_with_zero_gradient_path(graph):
    z = np.zeros((2, 3), np.float32)
    got = _run(
        tf.clip_by_norm(z, 1.0),
        tf.clip_by_norm(tf.constant([[3.0, 4.0], [0.0, 0.0]]), 1.0, axes=[1]),
    )
    np.testing.assert_array_equal(got[0], z)
    np.testing.assert_allclose(got[1], [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)


def test_clip_by_norm_with_a_fed_clip_norm_and_float64(graph):
    c = tf.placeholder(tf.float64, [])
    x64 = X.astype(np.float64)
    clipped = tf.clip_by_norm(tf.constant(x64), c)
    assert clipped.dtype == tf.float64
    np.testing.assert_allclose(_run(clipped, feed_dict={c: 2.0})[0], _np_clip_by_norm(x64, 2.0))


def test_clip_by_norm_clips_indexed_slices_values(graph):
    slices = IndexedSlices(tf.constant(X), tf.constant([1, 3, 4]), tf.constant([6, 4]))
    clipped = tf.clip_by_norm(slices, 1.0, axes=[1])
    assert isinstance(clipped, IndexedSlices)
    assert clipped.indices is slices.indices and clipped.dense_shape is slices.dense_shape
    np.testing.assert_allclose(_run(clipped.values)[0], _np_clip_by_norm(X, 1.0, [1]), rtol=1e-6)


# -- global_norm / clip_by_global_norm -------------------------------------------------------


def test_global_norm_skips_none_and_reads_indexed_slices(graph):
    slices = IndexedSlices(tf.constant(Y), tf.constant([0, 1, 2, 3, 4]))
    norm = tf.global_norm([tf.constant(X), None, slices])
    assert norm.op.name == "global_norm/global_norm" and norm.shape.as_list() == []
    np.testing.assert_allclose(_run(norm)[0], _np_global_norm([X, Y]), rtol=1e-6)


def test_global_norm_needs_a_sequence(graph):
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        tf.global_norm(tf.constant(X))
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        tf.clip_by_global_norm("abc", 1.0)


@pytest.mark.parametrize("clip_norm", [1.0, 5.0, 1000.0])
def test_clip_by_global_norm_matches_numpy(graph, clip_norm):
    slices = IndexedSlices(tf.constant(Y), tf.constant([4, 3, 2, 1, 0]), tf.constant([5]))
    clipped, norm = tf.clip_by_global_norm([tf.constant(X), None, slices], clip_norm)
    assert clipped[1] is None and isinstance(clipped[2], IndexedSlices)
    assert clipped[2].indices is slices.indices and clipped[2].dense_shape is slices.dense_shape
    assert clipped[0].op.name == "clip_by_global_norm/clip_by_global_norm/_0"
    g = _np_global_norm([X, Y])
    x_clip, y_clip, got_norm = _run(clipped[0], clipped[2].values, norm)
    scale = clip_norm / max(g, clip_norm)
    np.testing.assert_allclose(got_norm, g, rtol=1e-6)
    np.testing.assert_allclose(x_clip, X * scale, rtol=1e-5)
    np.testing.assert_allclose(y_clip, Y * scale, rtol=1e-5)


def test_clip_by_global_norm_with_use_norm(graph):
    clipped, norm = tf.clip_by_global_norm([X], 1.0, use_norm=tf.constant(4.0))
    x_clip, got_norm = _run(clipped[0], norm)
    assert got_norm == 4.0
    np.testing.assert_allclose(x_clip, X / 4.0, rtol=1e-6)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_clip_by_global_norm_of_a_non_finite_norm_is_all_nan(graph, bad):
    x = tf.placeholder(tf.float32, [3, 4])
    clipped, norm = tf.clip_by_global_norm([x, tf.constant(Y)], 1.0)
    poisoned = X.copy()
    poisoned[1, 2] = bad
    a, b, n = _run(clipped[0], clipped[1], norm, feed_dict={x: poisoned})
    assert np.isnan(a).all() and np.isnan(b).all()
    assert np.isnan(n) or np.isinf(n)


# -- clip_by_average_norm --------------------------------------------------------------------


@pytest.mark.parametrize("clip_norm", [0.1, 0.5, 10.0])
def test_clip_by_average_norm_matches_numpy(graph, clip_norm):
    clipped = tf.clip_by_average_norm(tf.constant(X), clip_norm)
    avg = np.sqrt(np.sum(X * X)) / X.size
    expected = X * clip_norm / max(avg, clip_norm)
    assert clipped.op.name == "clip_by_average_norm"
    np.testing.assert_allclose(_run(clipped)[0], expected, rtol=1e-5)
