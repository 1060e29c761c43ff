"""`tf.layers.Dense`, `Dropout`, `Flatten`: values, names, and the functional forms."""

import numpy as np

import flowgraph as tf


def test_dense_class_matches_numpy_and_functional_names():
    x_val = np.arange(6, dtype=np.float32).reshape(2, 3)
    layer = tf.layers.Dense(2, activation=tf.nn.relu, bias_initializer=tf.ones_initializer())
    y = layer(x_val)
    y_functional = tf.layers.dense(x_val, 2)
    assert layer.kernel.name == "dense/kernel:0" and layer.bias.name == "dense/bias:0"
    assert [v.name for v in tf.global_variables()][2:] == ["dense_1/kernel:0", "dense_1/bias:0"]
    assert layer.compute_output_shape(tf.TensorShape([None, 3])).as_list() == [None, 2]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kernel, out, _ = sess.run([layer.kernel, y, y_functional])
    np.testing.assert_allclose(out, np.maximum(x_val @ kernel + 1.0, 0.0), rtol=1e-6)


def test_dropout_class_training_flag():
    x = tf.ones([100, 10])
    layer = tf.layers.Dropout(rate=0.5, seed=1)
    training = tf.placeholder(tf.bool, [])
    eval_out, train_out, fed = layer(x), layer(x, training=True), layer(x, training=training)
    with tf.Session() as sess:
        e, t = sess.run([eval_out, train_out])
        f_off = sess.run(fed, {training: False})
    np.testing.assert_array_equal(e, np.ones([100, 10]))
    np.testing.assert_array_equal(f_off, np.ones([100, 10]))
    assert set(np.unique(t)) <= {0.0, 2.0} and 0.3 < np.mean(t == 0.0) < 0.7


def test_flatten_class_keeps_batch_axis():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    layer = tf.layers.Flatten()
    y = layer(tf.placeholder_with_default(x, [None, 3, 4]))
    assert y.shape.as_list() == [None, 12]
    assert layer.compute_output_shape(tf.TensorShape([None, 3, 4])).as_list() == [None, 12]
    channels_first = tf.layers.Flatten(data_format="channels_first")(x)
    with tf.Session() as sess:
        out, cf = sess.run([y, channels_first])
    np.testing.assert_array_equal(out, x.reshape(2, 12))
    np.testing.assert_array_equal(cf, x.transpose(0, 2, 1).reshape(2, 12))
