"""TF's tensor_util: `constant_value_as_shape`, `tf.make_tensor_proto` / `tf.make_ndarray`."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework import tensor_util
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


@pytest.mark.parametrize("values,kwargs,expected", [
    ([1.0, 2.0], {}, np.array([1.0, 2.0], np.float32)),
    (7, {"dtype": tf.int64, "shape": [2, 3]}, np.full((2, 3), 7, np.int64)),
    ([[1, 2], [3, 4]], {"shape": [4]}, np.array([1, 2, 3, 4], np.int32)),
    (["a", "bc"], {}, np.array([b"a", b"bc"], object)),
])
def test_round_trip(values, kwargs, expected):
    proto = tensor_util.make_tensor_proto(values, **kwargs)
    got = tensor_util.make_ndarray(proto)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_shape_errors():
    with pytest.raises(ValueError, match="Too many elements provided. Takes at most 2, but got 3"):
        tensor_util.make_tensor_proto([1, 2, 3], shape=[2])
    with pytest.raises(TypeError, match="Expected Tensor's shape"):
        tensor_util.make_tensor_proto([1, 2], shape=[1, 2], verify_shape=True)


def test_a_const_node_holds_the_same_proto():
    with tf.Graph().as_default() as graph:
        tf.constant([[1.5, 2.5]], name="c")
    node = graph.as_graph_def().node[0]
    np.testing.assert_array_equal(tensor_util.make_ndarray(node.attr["value"].tensor),
                                  [[1.5, 2.5]])
