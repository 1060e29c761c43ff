"""tf.make_tensor_proto / tf.make_ndarray."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework import tensor_util


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
