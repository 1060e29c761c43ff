"""tf.layers: variable names, shapes, collections, values against numpy, reuse, updates."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf


@pytest.fixture(autouse=True)
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _run(*fetches, feed_dict=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(list(fetches), feed_dict=feed_dict)


def _names(collection):
    return [v.name for v in tf.get_collection(collection)]


RNG = np.random.RandomState(0)


# -- dense -----------------------------------------------------------------------------


def test_dense_variables_names_and_uniquified_scopes():
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.layers.dense(x, 4)
    tf.layers.dense(y, 2, use_bias=False)
    assert y.shape.as_list() == [None, 4]
    assert _names(tf.GraphKeys.TRAINABLE_VARIABLES) == [
        "dense/kernel:0",
        "dense/bias:0",
        "dense_1/kernel:0",
    ]
    assert tf.trainable_variables()[0].shape.as_list() == [3, 4]


def test_dense_values_against_numpy():
    w, b = RNG.randn(3, 4).astype(np.float32), RNG.randn(4).astype(np.float32)
    x = RNG.randn(5, 3).astype(np.float32)
    y = tf.layers.dense(
        tf.constant(x),
        4,
        activation=tf.nn.relu,
        kernel_initializer=tf.constant_initializer(w),
        bias_initializer=tf.constant_initializer(b),
        name="fc",
    )
    (out,) = _run(y)
    np.testing.assert_allclose(out, np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-6)
    assert y.name.startswith("fc/")


def test_dense_rank3_tensordot():
    w = RNG.randn(3, 2).astype(np.float32)
    x = RNG.randn(2, 5, 3).astype(np.float32)
    xp = tf.placeholder(tf.float32, [None, 5, 3])
    y = tf.layers.dense(xp, 2, kernel_initializer=tf.constant_initializer(w))
    assert y.shape.as_list() == [None, 5, 2]
    (out,) = _run(y, feed_dict={xp: x})
    np.testing.assert_allclose(out, np.einsum("bti,io->bto", x, w), rtol=1e-5, atol=1e-6)


def test_dense_reuse_and_duplicate_name():
    x = tf.placeholder(tf.float32, [None, 3])
    tf.layers.dense(x, 4, name="fc")
    tf.layers.dense(x, 4, name="fc", reuse=True)
    assert len(tf.trainable_variables()) == 2
    with pytest.raises(ValueError, match="already exists"):
        tf.layers.dense(x, 4, name="fc")
    with tf.variable_scope("model", reuse=tf.AUTO_REUSE):
        a = tf.layers.dense(x, 4, name="out")
        b = tf.layers.dense(x, 4, name="out")
    assert len(tf.trainable_variables()) == 4
    out_a, out_b = _run(a, b, feed_dict={x: np.ones((1, 3), np.float32)})
    np.testing.assert_array_equal(out_a, out_b)


def test_dense_regularizers_and_unknown_depth():
    x = tf.placeholder(tf.float32, [None, 3])
    tf.layers.dense(
        x,
        2,
        kernel_regularizer=lambda w: tf.reduce_sum(w * 0.0),
        activity_regularizer=lambda y: tf.reduce_sum(y * 0.0),
    )
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 2
    with pytest.raises(ValueError, match="last dimension"):
        tf.layers.dense(tf.placeholder(tf.float32, [None, None]), 2)


# -- convolutions ----------------------------------------------------------------------


def _np_conv2d_valid(x, w):
    kh, kw = w.shape[:2]
    n, h, wd, _ = x.shape
    out = np.zeros((n, h - kh + 1, wd - kw + 1, w.shape[3]), np.float64)
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = np.einsum("nhwc,hwco->no", x[:, i : i + kh, j : j + kw], w)
    return out


@pytest.mark.parametrize("padding", ["valid", "VALID", "same"])
def test_conv2d_names_shapes_values(padding):
    x = RNG.randn(2, 5, 6, 3).astype(np.float32)
    w = RNG.randn(3, 3, 3, 4).astype(np.float32)
    b = RNG.randn(4).astype(np.float32)
    y = tf.layers.conv2d(
        tf.constant(x),
        4,
        3,
        padding=padding,
        kernel_initializer=tf.constant_initializer(w),
        bias_initializer=tf.constant_initializer(b),
    )
    assert _names(tf.GraphKeys.GLOBAL_VARIABLES) == ["conv2d/kernel:0", "conv2d/bias:0"]
    (out,) = _run(y)
    if padding.lower() == "valid":
        assert y.shape.as_list() == [2, 3, 4, 4]
        np.testing.assert_allclose(out, _np_conv2d_valid(x, w) + b, rtol=1e-4, atol=1e-4)
    else:
        assert y.shape.as_list() == [2, 5, 6, 4]
        padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])
        np.testing.assert_allclose(out, _np_conv2d_valid(padded, w) + b, rtol=1e-4, atol=1e-4)


def test_conv2d_channels_first_matches_channels_last():
    x = RNG.randn(2, 6, 6, 3).astype(np.float32)
    w = RNG.randn(3, 3, 3, 4).astype(np.float32)
    init = tf.constant_initializer(w)
    last = tf.layers.conv2d(tf.constant(x), 4, 3, strides=2, kernel_initializer=init)
    first = tf.layers.conv2d(
        tf.constant(x.transpose(0, 3, 1, 2)),
        4,
        (3, 3),
        strides=(2, 2),
        data_format="channels_first",
        kernel_initializer=init,
        bias_initializer=tf.constant_initializer(1.0),
    )
    assert first.shape.as_list() == [2, 4, 2, 2]
    a, b = _run(last, first)
    np.testing.assert_allclose(a + 1.0, b.transpose(0, 2, 3, 1), rtol=1e-4, atol=1e-4)


def test_conv1d_matches_numpy():
    x = RNG.randn(2, 7, 3).astype(np.float32)
    w = RNG.randn(2, 3, 5).astype(np.float32)
    y = tf.layers.conv1d(tf.constant(x), 5, 2, kernel_initializer=tf.constant_initializer(w))
    assert y.shape.as_list() == [2, 6, 5]
    assert _names(tf.GraphKeys.TRAINABLE_VARIABLES) == ["conv1d/kernel:0", "conv1d/bias:0"]
    (out,) = _run(y)
    expected = np.stack([x[:, t : t + 2].reshape(2, -1) @ w.reshape(-1, 5) for t in range(6)], 1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding,size", [("same", 8), ("valid", 9)])
def test_conv2d_transpose_shapes(padding, size):
    x = tf.placeholder(tf.float32, [None, 4, 4, 3])
    y = tf.layers.conv2d_transpose(x, 6, 3, strides=2, padding=padding)
    kernel = tf.trainable_variables()[0]
    assert kernel.name == "conv2d_transpose/kernel:0"
    assert kernel.shape.as_list() == [3, 3, 6, 3]
    assert y.shape.as_list() == [None, size, size, 6]
    (out,) = _run(y, feed_dict={x: np.ones((2, 4, 4, 3), np.float32)})
    assert out.shape == (2, size, size, 6)


def test_conv2d_transpose_is_conv2d_gradient():
    x = RNG.randn(1, 3, 3, 2).astype(np.float32)
    w = RNG.randn(2, 2, 4, 2).astype(np.float32)
    y = tf.layers.conv2d_transpose(
        tf.constant(x),
        4,
        2,
        strides=2,
        use_bias=False,
        kernel_initializer=tf.constant_initializer(w),
    )
    (out,) = _run(y)
    # stride == kernel: each input pixel paints one non-overlapping 2x2 block.
    expected = np.einsum("nhwc,ijoc->nhiwjo", x, w).reshape(1, 6, 6, 4)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


# -- pooling, flatten ------------------------------------------------------------------


def test_pooling2d_values_and_names():
    x = RNG.randn(2, 4, 4, 3).astype(np.float32)
    mx = tf.layers.max_pooling2d(tf.constant(x), 2, 2)
    av = tf.layers.average_pooling2d(tf.constant(x), [2, 2], [2, 2], padding="SAME")
    assert mx.name.startswith("max_pooling2d/")
    assert av.name.startswith("average_pooling2d/")
    out_max, out_avg = _run(mx, av)
    blocks = x.reshape(2, 2, 2, 2, 2, 3)
    np.testing.assert_allclose(out_max, blocks.max(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(out_avg, blocks.mean(axis=(2, 4)), rtol=1e-5)


def test_pooling2d_channels_first():
    x = RNG.randn(1, 3, 4, 4).astype(np.float32)
    y = tf.layers.max_pooling2d(tf.constant(x), 2, 2, data_format="channels_first")
    assert y.shape.as_list() == [1, 3, 2, 2]
    (out,) = _run(y)
    np.testing.assert_allclose(out, x.reshape(1, 3, 2, 2, 2, 2).max(axis=(3, 5)))


def test_pooling1d():
    x = RNG.randn(2, 6, 3).astype(np.float32)
    mx = tf.layers.max_pooling1d(tf.constant(x), 2, 2)
    av = tf.layers.average_pooling1d(tf.constant(x), 3, 3)
    assert mx.shape.as_list() == [2, 3, 3]
    out_max, out_avg = _run(mx, av)
    np.testing.assert_allclose(out_max, x.reshape(2, 3, 2, 3).max(axis=2))
    np.testing.assert_allclose(out_avg, x.reshape(2, 2, 3, 3).mean(axis=2), rtol=1e-5)


def test_flatten():
    x = tf.placeholder(tf.float32, [None, 2, 3, 4])
    y = tf.layers.flatten(x)
    yc = tf.layers.flatten(x, data_format="channels_first")
    assert y.shape.as_list() == [None, 24]
    value = RNG.randn(2, 2, 3, 4).astype(np.float32)
    out, outc = _run(y, yc, feed_dict={x: value})
    np.testing.assert_array_equal(out, value.reshape(2, 24))
    np.testing.assert_array_equal(outc, value.transpose(0, 2, 3, 1).reshape(2, 24))
    dynamic = tf.layers.flatten(tf.placeholder(tf.float32, [None, None, 3]))
    assert dynamic.shape.ndims == 2


# -- dropout ---------------------------------------------------------------------------


def test_dropout_python_bool():
    x = tf.ones([200, 50])
    off = tf.layers.dropout(x, rate=0.5)
    on = tf.layers.dropout(x, rate=0.5, training=True)
    out_off, out_on = _run(off, on)
    np.testing.assert_array_equal(out_off, np.ones((200, 50)))
    assert set(np.unique(out_on)) <= {0.0, 2.0}
    assert 0.4 < (out_on == 0).mean() < 0.6


def test_dropout_tensor_training():
    training = tf.placeholder(tf.bool, [])
    y = tf.layers.dropout(tf.ones([100, 20]), rate=0.3, training=training)
    assert y.shape.as_list() == [100, 20]
    with tf.Session() as sess:
        off = sess.run(y, {training: False})
        on = sess.run(y, {training: True})
    np.testing.assert_array_equal(off, np.ones((100, 20)))
    assert 0.2 < (on == 0).mean() < 0.4


# -- batch normalization ---------------------------------------------------------------


def test_batch_norm_variables_and_collections():
    x = tf.placeholder(tf.float32, [None, 4])
    tf.layers.batch_normalization(x)
    tf.layers.batch_normalization(x, center=False)
    assert _names(tf.GraphKeys.TRAINABLE_VARIABLES) == [
        "batch_normalization/gamma:0",
        "batch_normalization/beta:0",
        "batch_normalization_1/gamma:0",
    ]
    assert "batch_normalization/moving_mean:0" in _names(tf.GraphKeys.GLOBAL_VARIABLES)
    assert "batch_normalization/moving_variance:0" in _names(tf.GraphKeys.GLOBAL_VARIABLES)
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []  # training=False: no updates


def test_batch_norm_inference_uses_moving_statistics():
    x = RNG.randn(6, 3).astype(np.float32)
    y = tf.layers.batch_normalization(
        tf.constant(x),
        moving_mean_initializer=tf.constant_initializer(0.5),
        moving_variance_initializer=tf.constant_initializer(4.0),
        gamma_initializer=tf.constant_initializer(2.0),
        beta_initializer=tf.constant_initializer(1.0),
    )
    (out,) = _run(y)
    np.testing.assert_allclose(out, (x - 0.5) / np.sqrt(4.0 + 1e-3) * 2 + 1, rtol=1e-5)


def test_batch_norm_training_and_update_ops():
    x = RNG.randn(8, 3).astype(np.float32) * 3 + 2
    y = tf.layers.batch_normalization(tf.constant(x), momentum=0.9, training=True)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    update = tf.group(*updates)
    mm, mv = tf.global_variables()[2:]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run(y)
        for _ in range(3):
            sess.run(update)
        mean, var = sess.run([mm, mv])
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    m, v = np.zeros(3), np.ones(3)
    for _ in range(3):
        m, v = m * 0.9 + x.mean(0) * 0.1, v * 0.9 + x.var(0) * 0.1
    np.testing.assert_allclose(mean, m, rtol=1e-5)
    np.testing.assert_allclose(var, v, rtol=1e-5)


def test_batch_norm_4d_fused_uses_bessel_corrected_variance():
    x = RNG.randn(2, 3, 3, 2).astype(np.float32)
    tf.layers.batch_normalization(tf.constant(x), momentum=0.0, training=True)
    update = tf.group(*tf.get_collection(tf.GraphKeys.UPDATE_OPS))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(update)
        (var,) = sess.run([tf.global_variables()[3]])
    np.testing.assert_allclose(var, x.reshape(-1, 2).var(0, ddof=1), rtol=1e-5)


def test_batch_norm_channels_first_axis():
    x = RNG.randn(4, 3, 2, 2).astype(np.float32)
    y = tf.layers.batch_normalization(tf.constant(x), axis=1, training=True)
    assert tf.trainable_variables()[0].shape.as_list() == [3]
    (out,) = _run(y)
    mean, var = x.mean((0, 2, 3), keepdims=True), x.var((0, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)


def test_batch_norm_tensor_training():
    x = RNG.randn(8, 2).astype(np.float32) + 5
    training = tf.placeholder(tf.bool, [])
    y = tf.layers.batch_normalization(tf.constant(x), momentum=0.5, training=training)
    update = tf.group(*tf.get_collection(tf.GraphKeys.UPDATE_OPS))
    mm = tf.global_variables()[2]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        off = sess.run(y, {training: False})
        sess.run(update, {training: False})
        assert np.allclose(sess.run(mm), 0.0)  # momentum 1: no update
        on = sess.run(y, {training: True})
        sess.run(update, {training: True})
        np.testing.assert_allclose(sess.run(mm), x.mean(0) * 0.5, rtol=1e-5)
    np.testing.assert_allclose(off, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_allclose(on, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), atol=1e-4)


def test_batch_norm_reuse():
    x = tf.placeholder(tf.float32, [None, 4])
    tf.layers.batch_normalization(x, name="bn")
    tf.layers.batch_normalization(x, name="bn", reuse=True, training=True)
    assert len(tf.global_variables()) == 4


# -- a tiny CNN trains -----------------------------------------------------------------


def test_tiny_cnn_trains():
    images = RNG.randn(16, 8, 8, 1).astype(np.float32)
    labels = (images.mean(axis=(1, 2, 3)) > 0).astype(np.int32)
    x = tf.placeholder(tf.float32, [None, 8, 8, 1])
    y = tf.placeholder(tf.int32, [None])
    net = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
    net = tf.layers.max_pooling2d(net, 2, 2)
    net = tf.layers.flatten(net)
    logits = tf.layers.dense(net, 2)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    assert len(tf.trainable_variables()) == 4
    feed = {x: images, y: labels}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, feed)
        for _ in range(20):
            sess.run(train, feed)
        last = sess.run(loss, feed)
    assert last < first * 0.9
