"""`constant_value_as_shape`: what a shape tensor's value is known to be at build time."""

from __future__ import annotations

import pytest

import flowgraph as tf
from flowgraph.framework.tensor_util import constant_value_as_shape


@pytest.fixture(autouse=True)
def graph():
    with tf.Graph().as_default() as g:
        yield g


def _dims(t):
    shape = constant_value_as_shape(t)
    return None if shape.ndims is None else shape.as_list()


def test_follows_shape_pack_concat_slices_and_casts():
    x = tf.placeholder(tf.float32, [None, 3, 4])
    s = tf.shape(x)
    n = tf.placeholder(tf.int32, [])
    assert _dims(s) == [None, 3, 4]
    assert _dims(s[1:]) == [3, 4]
    assert _dims(s[:-1]) == [None, 3]
    assert _dims(tf.stack([s[0], s[2], 5, n])) == [None, 4, 5, None]
    assert _dims(tf.concat([[2], s[1:]], 0)) == [2, 3, 4]
    assert _dims(tf.cast(s, tf.int64)) == [None, 3, 4]
    assert _dims(tf.constant([2, -1])) == [2, None]


def test_unknown_when_even_the_length_is():
    assert _dims(tf.placeholder(tf.int32, [None])) is None
    assert _dims(tf.shape(tf.placeholder(tf.float32))) is None


def test_ops_keep_the_dims_their_shape_tensor_fixes(graph):
    x = tf.placeholder(tf.float32, [None, 3])
    assert tf.zeros(tf.shape(x)).shape.as_list() == [None, 3]
    assert tf.reshape(x, tf.stack([tf.shape(x)[0], 3, 1])).shape.as_list() == [None, 3, 1]
    with tf.Session() as sess:
        assert sess.run(tf.ones(tf.shape(x)), {x: [[1, 2, 3]]}).tolist() == [[1, 1, 1]]
