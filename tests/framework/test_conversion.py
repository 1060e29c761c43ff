"""`convert_to_tensor_or_indexed_slices/_sparse_tensor` and `get_static_value`."""

import numpy as np
import pytest

import flowgraph as tf


def test_indexed_slices_pass_through_and_the_rest_converts():
    with tf.Graph().as_default():
        slices = tf.IndexedSlices(tf.constant([[1.0]]), tf.constant([0]), tf.constant([2, 1]))
        assert tf.convert_to_tensor_or_indexed_slices(slices) is slices
        t = tf.convert_to_tensor_or_indexed_slices([1, 2], dtype=tf.int64)
        assert isinstance(t, tf.Tensor) and t.dtype == tf.int64
        with pytest.raises(ValueError, match="requested dtype int32"):
            tf.convert_to_tensor_or_indexed_slices(slices, dtype=tf.int32)


def test_sparse_tensor_values_become_sparse_tensors():
    with tf.Graph().as_default():
        value = tf.SparseTensorValue([[0, 1]], [5.0], [2, 2])
        sparse = tf.convert_to_tensor_or_sparse_tensor(value)
        assert isinstance(sparse, tf.SparseTensor)
        assert tf.convert_to_tensor_or_sparse_tensor(sparse) is sparse
        with tf.Session() as sess:
            dense = sess.run(tf.sparse_tensor_to_dense(sparse))
        np.testing.assert_array_equal(dense, [[0.0, 5.0], [0.0, 0.0]])


def test_get_static_value():
    with tf.Graph().as_default():
        np.testing.assert_array_equal(tf.get_static_value(tf.shape(tf.zeros([2, 3]))), [2, 3])
        assert tf.get_static_value(tf.constant(4)) == 4
        assert tf.get_static_value(tf.placeholder(tf.float32)) is None
