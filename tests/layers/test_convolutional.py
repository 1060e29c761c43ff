"""Convolution layer classes: TF1 variable names and shapes, values against numpy."""

import numpy as np
import pytest

import flowgraph as tf


def _run(outputs):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(outputs)


def _conv_nd(x, kernel):
    """'valid' cross-correlation, channels last, stride 1 (any rank)."""
    spatial = kernel.shape[:-2]
    out_shape = [x.shape[i + 1] - k + 1 for i, k in enumerate(spatial)]
    out = np.zeros([x.shape[0], *out_shape, kernel.shape[-1]])
    for index in np.ndindex(*out_shape):
        window = x[(slice(None),) + tuple(slice(i, i + k) for i, k in zip(index, spatial))]
        out[(slice(None),) + index] = np.tensordot(window, kernel, axes=len(spatial) + 1)
    return out


@pytest.mark.parametrize("cls,shape", [(tf.layers.Conv1D, [2, 6, 3]),
                                       (tf.layers.Conv2D, [2, 5, 5, 3]),
                                       (tf.layers.Conv3D, [1, 4, 4, 4, 3])])  # fmt: skip
def test_conv_classes_match_numpy(cls, shape):
    x = np.random.RandomState(0).randn(*shape).astype(np.float32)
    layer = cls(4, 2, bias_initializer=tf.constant_initializer(0.5))
    y = layer(x)
    rank = len(shape) - 2
    assert layer.kernel.shape.as_list() == [2] * rank + [3, 4]
    assert layer.kernel.name == f"conv{rank}d/kernel:0"
    kernel, out = _run([layer.kernel, y])
    np.testing.assert_allclose(out, _conv_nd(x, kernel) + 0.5, rtol=1e-4, atol=1e-5)


def test_functional_conv3d():
    x = np.ones([1, 3, 3, 3, 1], np.float32)
    y = tf.layers.conv3d(x, 2, 3, kernel_initializer=tf.ones_initializer(), name="c3")
    assert [v.name for v in tf.global_variables()] == ["c3/kernel:0", "c3/bias:0"]
    np.testing.assert_allclose(_run(y), np.full([1, 1, 1, 1, 2], 27.0))


def test_conv_transpose_classes_shapes_and_adjointness():
    x = np.random.RandomState(1).randn(1, 2, 2, 2, 3).astype(np.float32)
    layer = tf.layers.Conv3DTranspose(2, 2, strides=2, use_bias=False)
    y = layer(x)
    assert layer.kernel.shape.as_list() == [2, 2, 2, 2, 3]
    assert y.shape.as_list() == [1, 4, 4, 4, 2]
    kernel, out = _run([layer.kernel, y])
    # Stride 2 with a 2-wide kernel: every output voxel comes from one input voxel.
    expected = np.einsum("bdhwi,xyzoi->bdxhywzo", x, kernel).reshape(1, 4, 4, 4, 2)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert tf.layers.Conv2DTranspose(2, 3, strides=2, padding="same")(
        tf.zeros([1, 3, 3, 1])
    ).shape.as_list() == [1, 6, 6, 2]


def test_separable_conv2d_names_shapes_and_values():
    x = np.random.RandomState(2).randn(1, 5, 5, 2).astype(np.float32)
    layer = tf.layers.SeparableConv2D(4, 3, depth_multiplier=2)
    y = layer(x)
    assert [(v.name, v.shape.as_list()) for v in layer.weights] == [
        ("separable_conv2d/depthwise_kernel:0", [3, 3, 2, 2]),
        ("separable_conv2d/pointwise_kernel:0", [1, 1, 4, 4]),
        ("separable_conv2d/bias:0", [4]),
    ]
    depthwise, pointwise, out = _run([layer.depthwise_kernel, layer.pointwise_kernel, y])
    per_channel = [_conv_nd(x[..., c : c + 1], depthwise[:, :, c : c + 1, :]) for c in range(2)]
    np.testing.assert_allclose(out, np.concatenate(per_channel, -1) @ pointwise[0, 0],
                               rtol=1e-4, atol=1e-5)  # fmt: skip


def test_separable_conv1d_matches_its_2d_form():
    x = np.random.RandomState(3).randn(1, 6, 2).astype(np.float32)
    layer = tf.layers.SeparableConv1D(3, 3, depth_multiplier=2)
    y = tf.layers.separable_conv1d(x, 3, 3, depth_multiplier=2, name="sep1d")
    assert y.shape.as_list() == [1, 4, 3]
    out = layer(x)
    assert [v.shape.as_list() for v in layer.weights] == [[3, 2, 2], [1, 4, 3], [3]]
    depthwise, pointwise, got = _run([layer.depthwise_kernel, layer.pointwise_kernel, out])
    per_channel = [_conv_nd(x[..., c : c + 1], depthwise[:, c : c + 1, :]) for c in range(2)]
    np.testing.assert_allclose(got, np.concatenate(per_channel, -1) @ pointwise[0],
                               rtol=1e-4, atol=1e-5)  # fmt: skip
