"""Convolution gradient ops against tf.gradients of the forward convolutions and their
own gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import conv_backprop_ops as cb
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {
    "Conv2DBackpropFilter",
    "Conv3DBackpropFilterV2",
    "DepthwiseConv2dNativeBackpropInput",
    "DepthwiseConv2dNativeBackpropFilter",
}
GRADIENT_CHECKED = OP_TYPES_TESTED

RNG = np.random.default_rng(0)
X2, W2 = RNG.normal(size=(2, 6, 5, 3)), RNG.normal(size=(3, 2, 3, 4))
X3, W3 = RNG.normal(size=(1, 4, 5, 4, 2)), RNG.normal(size=(2, 2, 3, 2, 3))
WD = RNG.normal(size=(3, 3, 3, 2))


@pytest.mark.parametrize(
    "padding,strides,dilations",
    [
        ("SAME", [1, 2, 1, 1], [1, 1, 1, 1]),
        ("VALID", [1, 1, 1, 1], [1, 2, 1, 1]),
        ([[0, 0], [1, 2], [0, 1], [0, 0]], [1, 1, 2, 1], [1, 1, 1, 1]),
    ],
    ids=["same", "valid", "explicit"],
)
def test_match_tf_gradients_of_the_forward_ops(padding, strides, dilations):
    with tf.Graph().as_default():
        x, w = tf.constant(X2), tf.constant(W2)
        y = tf.nn.conv2d(x, w, strides, padding, dilations=dilations)
        dy = tf.constant(RNG.normal(size=y.shape.as_list()))
        dx, dw = tf.gradients(y, [x, w], grad_ys=dy)
        mine = [
            cb.conv2d_backprop_input(X2.shape, w, dy, strides, padding, dilations=dilations),
            cb.conv2d_backprop_filter(x, W2.shape, dy, strides, padding, dilations=dilations),
            cb.conv2d_backprop_input_v2(x, w, dy, strides, padding, dilations=dilations),
            cb.conv2d_backprop_filter_v2(x, w, dy, strides, padding, dilations=dilations),
        ]
        assert mine[1].op.type == "Conv2DBackpropFilter" and mine[1].shape.as_list() == [3, 2, 3, 4]
        with tf.Session() as sess:
            got, want = sess.run([mine, [dx, dw]])
    for g, expected in zip(got, want + want):
        np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-10)


def test_3d_and_depthwise_match_tf_gradients():
    with tf.Graph().as_default():
        x3, w3 = tf.constant(X3), tf.constant(W3)
        y3 = tf.nn.conv3d(x3, w3, [1, 1, 2, 1, 1], "SAME")
        xd, wd = tf.constant(X2), tf.constant(WD)
        yd = tf.nn.depthwise_conv2d_native(xd, wd, [1, 1, 1, 1], "VALID")
        expected = tf.gradients(y3, w3) + tf.gradients(yd, [xd, wd])
        mine = [
            cb.conv3d_backprop_filter(x3, W3.shape, tf.ones_like(y3), [1, 1, 2, 1, 1], "SAME"),
            cb.depthwise_conv2d_native_backprop_input(
                X2.shape, wd, tf.ones_like(yd), [1, 1, 1, 1], "VALID"
            ),
            cb.depthwise_conv2d_native_backprop_filter(
                xd, WD.shape, tf.ones_like(yd), [1, 1, 1, 1], "VALID"
            ),
        ]
        with tf.Session() as sess:
            got, want = sess.run([mine, expected])
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10)


def test_gradients_of_the_backprop_ops():
    x, dy = RNG.normal(size=(1, 4, 4, 2)), RNG.normal(size=(1, 4, 4, 3))
    check_gradients(
        lambda x, dy: [
            cb.conv2d_backprop_filter(x, [2, 2, 2, 3], dy, [1, 1, 1, 1], "SAME"),
            cb.depthwise_conv2d_native_backprop_filter(
                x, [2, 2, 2, 1], dy[..., :2], [1, 1, 1, 1], "SAME"
            ),
            cb.depthwise_conv2d_native_backprop_input(
                [1, 4, 4, 2],
                tf.ones([2, 2, 2, 1], x.dtype) * x[0, :2, :2, :, None],
                dy[..., :2],
                [1, 1, 1, 1],
                "SAME",
            ),
        ],
        x,
        dy,
    )
    x3, dy3 = RNG.normal(size=(1, 3, 3, 3, 1)), RNG.normal(size=(1, 3, 3, 3, 2))
    check_gradients(
        lambda x, dy: cb.conv3d_backprop_filter(x, [2, 1, 2, 1, 2], dy, [1, 1, 1, 1, 1], "SAME"),
        x3,
        dy3,
    )


def test_mismatched_out_backprop_names_the_op():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Conv2DBackpropFilter"):
            cb.conv2d_backprop_filter(
                tf.zeros([1, 4, 4, 2]), [2, 2, 2, 3], tf.zeros([1, 5, 5, 3]), [1, 1, 1, 1], "SAME"
            )
