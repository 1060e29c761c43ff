"""convert_to_tensor as in TF: autopacking (nested lists holding Tensors become `Pack`s) and
numpy values copied into the graph.

Expected values, names and messages are TensorFlow 2.21's (`tf.compat.v1`, graph mode).
"""

import numpy as np
import pytest

import flowgraph as tf


@pytest.fixture
def batch():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2, 3], name="x")
        yield x, tf.shape(x)[0]


def _run(tensor, x):
    with tf.Session() as sess:
        return sess.run(tensor, {x: np.ones((4, 2, 3), np.float32)})


def test_a_list_mixing_a_scalar_tensor_and_ints_is_packed(batch):
    x, b = batch
    t = tf.convert_to_tensor([b, 6])
    assert t.op.type == "Pack" and t.op.name == "packed" and t.dtype == tf.int32
    assert t.op.inputs[1].op.name == "packed/1"  # the int became a constant in the scope
    assert t.shape.as_list() == [2]
    np.testing.assert_array_equal(_run(t, x), [4, 6])
    np.testing.assert_array_equal(_run(tf.add([b, 2], 1), x), [5, 3])  # any op's input


def test_nested_lists_pack_per_level_and_lists_without_tensors_stay_constants(batch):
    x, b = batch
    t = tf.convert_to_tensor([[b, 1], [2, 3]])
    assert [i.op.name for i in t.op.inputs] == ["packed/0", "packed/1_1"]
    assert t.op.inputs[0].op.type == "Pack" and t.op.inputs[1].op.type == "Const"
    np.testing.assert_array_equal(_run(t, x), [[4, 1], [2, 3]])


def test_the_first_tensor_gives_the_dtype_and_python_numbers_follow_it(batch):
    x, _ = batch
    t = tf.convert_to_tensor([tf.constant(1.5), 2], name="nm")
    assert t.dtype == tf.float32 and t.op.name == "nm"
    np.testing.assert_array_equal(_run(t, x), [1.5, 2.0])


def test_an_asked_dtype_casts_the_tensors_outside_the_pack_scope(batch):
    x, _ = batch
    t = tf.convert_to_tensor([tf.constant(1, tf.int64), tf.constant(2)], dtype=tf.int32)
    assert t.op.inputs[0].op.type == "Cast" and "/" not in t.op.inputs[0].op.name
    np.testing.assert_array_equal(_run(t, x), [1, 2])
    f = tf.convert_to_tensor([tf.constant(1), 2], dtype=tf.float32)
    assert f.dtype == tf.float32 and _run(f, x).tolist() == [1.0, 2.0]


def test_tensors_of_different_dtypes_without_an_asked_dtype_are_refused(batch):
    first = tf.constant(1, tf.int64)
    with pytest.raises(
        TypeError,
        match=r"Cannot convert a list containing a tensor of dtype "
        r"<dtype: 'int32'> to <dtype: 'int64'> \(Tensor is: <tf.Tensor 'Const",
    ):
        tf.convert_to_tensor([first, tf.constant(2)])


def test_shape_arguments_built_from_tensors(batch):
    x, b = batch
    r = tf.reshape(x, [b, -1])
    assert r.shape.as_list() == [None, None]  # TF's static shape too
    assert _run(r, x).shape == (4, 6)


def test_a_numpy_value_is_copied_into_the_graph():
    # TF copies the array into the constant: a later change by the caller is not seen.
    array = np.arange(4, dtype=np.float32)
    with tf.Graph().as_default():
        c = tf.constant(array)
        v = tf.Variable(array)
        array[:] = -1.0
        with tf.Session() as sess:
            sess.run(v.initializer)
            np.testing.assert_array_equal(sess.run(c), [0, 1, 2, 3])
            np.testing.assert_array_equal(sess.run(v), [0, 1, 2, 3])
