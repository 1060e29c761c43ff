"""Convolutions and pooling against direct numpy loops: SAME with odd sizes and strides,
NCHW, dilations, explicit padding, transposes, argmax indices; their gradients."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients
from tests.ops.test_op_table import (
    B,
    check_rows_in_one_run,
    f32,
    row,
)

OP_TYPES_TESTED = {
    "Conv2D", "Conv3D", "DepthwiseConv2dNative", "Conv2DBackpropInput",
    "Conv3DBackpropInputV2", "MaxPool", "AvgPool", "MaxPool3D", "AvgPool3D",
    "MaxPoolWithArgmax",
}
GRADIENT_CHECKED = set(OP_TYPES_TESTED)
NOT_DIFFERENTIABLE: dict[str, str] = {}


# -- numpy references ------------------------------------------------------------------------


def _pads(sizes, window, strides, padding):
    """TF's padding per spatial dim: SAME puts the odd element at the end."""
    if isinstance(padding, list):
        return padding
    if padding == "VALID":
        return [(0, 0)] * len(sizes)
    out = []
    for n, k, s in zip(sizes, window, strides):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        out.append((total // 2, total - total // 2))
    return out


def _windows(x, window, strides, pads, dilations, fill):
    """Yields (output index, window values [*window, C]) for channels-last x [N, *S, C]."""
    xp = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=fill)
    spatial = xp.shape[1:-1]
    eff = [(k - 1) * d + 1 for k, d in zip(window, dilations)]
    counts = [(n - e) // s + 1 for n, e, s in zip(spatial, eff, strides)]
    for idx in itertools.product(*map(range, counts)):
        sl = tuple(slice(i * s, i * s + e, d) for i, s, e, d in zip(idx, strides, eff, dilations))
        yield idx, counts, xp[(slice(None), *sl)]


def np_conv(x, w, strides, padding, dilations=None):
    """Channels-last N-d convolution; w is [*window, in, out]."""
    window, n = w.shape[:-2], w.ndim - 2
    dilations = dilations or [1] * n
    eff = [(k - 1) * d + 1 for k, d in zip(window, dilations)]
    pads = _pads(x.shape[1:-1], eff, strides, padding)
    out = None
    for idx, counts, win in _windows(x, window, strides, pads, dilations, 0):
        if out is None:
            out = np.zeros((x.shape[0], *counts, w.shape[-1]), np.float64)
        out[(slice(None), *idx)] = np.tensordot(win, w, axes=n + 1)
    return out


def np_depthwise(x, w, strides, padding, dilations=None):
    """w is [h, w, in, multiplier]; output channel c * multiplier + m."""
    outs = [np_conv(x[..., c:c + 1], w[:, :, c:c + 1, :], strides, padding, dilations)
            for c in range(x.shape[-1])]
    return np.concatenate(outs, -1)


def np_pool(x, window, strides, padding, kind):
    pads = _pads(x.shape[1:-1], window, strides, padding)
    xp = x.astype(np.float64)
    out = None
    for idx, counts, win in _windows(xp, window, strides, pads, [1] * len(window), np.nan):
        if out is None:
            out = np.zeros((x.shape[0], *counts, x.shape[-1]))
        axes = tuple(range(1, len(window) + 1))
        out[(slice(None), *idx)] = (np.nanmax if kind == "MAX" else np.nanmean)(win, axis=axes)
    return out.astype(x.dtype)


def np_conv_transpose(y, w, input_shape, strides, padding, dilations=None):
    """The transpose of np_conv as a linear map, from its matrix."""
    size = int(np.prod(input_shape))
    basis = np.eye(size).reshape(size, *input_shape)
    cols = np.stack([np_conv(b, w, strides, padding, dilations).ravel() for b in basis], 1)
    return (cols.T @ y.ravel()).reshape(input_shape)


def _nchw(f):
    """A channels-last reference applied to channels-first arrays."""
    return lambda x, *a: np.moveaxis(f(np.moveaxis(x, 1, -1), *a), -1, 1)


def _cast(f):
    return lambda *a: np.asarray(f(*a)).astype(np.float32)


def _argmax_ref(x, window, strides, padding, include_batch):
    b, h, w, c = x.shape
    pads = _pads((h, w), window, strides, padding)
    flat = np.arange(x.size).reshape(x.shape) % (x.size if include_batch else h * w * c)
    xp = np.pad(x.astype(np.float64), [(0, 0), *pads, (0, 0)], constant_values=-np.inf)
    ip = np.pad(flat, [(0, 0), *pads, (0, 0)], constant_values=-1)
    oh, ow = -(-h // strides[0]) if padding == "SAME" else (h - window[0]) // strides[0] + 1, \
        -(-w // strides[1]) if padding == "SAME" else (w - window[1]) // strides[1] + 1
    out = np.zeros((b, oh, ow, c), np.int64)
    for n, i, j, k in itertools.product(range(b), range(oh), range(ow), range(c)):
        vals = xp[n, i * strides[0]:i * strides[0] + window[0],
                  j * strides[1]:j * strides[1] + window[1], k].ravel()
        ids = ip[n, i * strides[0]:i * strides[0] + window[0],
                 j * strides[1]:j * strides[1] + window[1], k].ravel()
        out[n, i, j, k] = ids[np.argmax(vals)]  # the first maximum in row-major order
    return out


# -- the table -------------------------------------------------------------------------------

_W = np.random.default_rng(7).uniform(-1, 1, (3, 3, 2, 3)).astype(np.float32)
_W3 = np.random.default_rng(8).uniform(-1, 1, (2, 2, 3, 2, 3)).astype(np.float32)
_DW = np.random.default_rng(9).uniform(-1, 1, (3, 2, 2, 2)).astype(np.float32)
_PW = np.random.default_rng(10).uniform(-1, 1, (1, 1, 4, 3)).astype(np.float32)
_W1 = np.random.default_rng(11).uniform(-1, 1, (3, 2, 4)).astype(np.float32)
_EXPLICIT = [[0, 0], [1, 2], [0, 3], [0, 0]]

ROWS = [
    row("Conv2D", lambda x: tf.nn.conv2d(x, _W, [1, 2, 2, 1], "SAME"),
        _cast(lambda x: np_conv(x, _W, [2, 2], "SAME")), f32(B, 5, 7, 2), id="same-odd-stride2"),
    row("Conv2D", lambda x: tf.nn.conv2d(x, _W, [1, 1, 1, 1], "VALID", dilations=[1, 2, 1, 1]),
        _cast(lambda x: np_conv(x, _W, [1, 1], "VALID", [2, 1])), f32(B, 6, 5, 2),
        id="valid-dilated"),
    row("Conv2D", lambda x: tf.nn.conv2d(x, _W, 3, "SAME", data_format="NCHW", dilations=2),
        _cast(_nchw(lambda x: np_conv(x, _W, [3, 3], "SAME", [2, 2]))), f32(B, 2, 7, 8),
        id="nchw-dilated-stride3"),
    row("Conv2D", lambda x: tf.nn.conv2d(x, _W, [1, 2, 1, 1], _EXPLICIT),
        _cast(lambda x: np_conv(x, _W, [2, 1], [(1, 2), (0, 3)])), f32(B, 4, 3, 2),
        id="explicit"),
    row("Conv2D", lambda x: tf.nn.conv1d(x, _W1, 2, "SAME"),
        _cast(lambda x: np_conv(x[:, None], _W1[None], [1, 2], "SAME")[:, 0]), f32(B, 7, 2),
        id="conv1d"),
    row("Conv2D", lambda x: tf.nn.conv1d(x, _W1, 1, "VALID", data_format="NCW", dilations=2),
        _cast(lambda x: np.moveaxis(np_conv(np.moveaxis(x, 1, -1)[:, None], _W1[None],
                                            [1, 1], "VALID", [1, 2])[:, 0], -1, 1)),
        f32(B, 2, 8), id="conv1d-ncw"),
    row("Conv2D", lambda x: tf.nn.atrous_conv2d(x, _W, 2, "SAME"),
        _cast(lambda x: np_conv(x, _W, [1, 1], "SAME", [2, 2])), f32(B, 5, 6, 2), id="atrous"),
    row("Conv2D", lambda x: tf.nn.convolution(x, _W1, "SAME", strides=[2]),
        _cast(lambda x: np_conv(x[:, None], _W1[None], [1, 2], "SAME")[:, 0]), f32(B, 5, 2),
        id="convolution-1d"),
    row("Conv3D", lambda x: tf.nn.conv3d(x, _W3, [1, 2, 1, 2, 1], "SAME"),
        _cast(lambda x: np_conv(x, _W3, [2, 1, 2], "SAME")), f32(B, 3, 4, 5, 2)),
    row("Conv3D", lambda x: tf.nn.convolution(x, _W3, "VALID", dilation_rate=[1, 2, 1],
                                              data_format="NCDHW"),
        _cast(_nchw(lambda x: np_conv(x, _W3, [1, 1, 1], "VALID", [1, 2, 1]))),
        f32(B, 2, 3, 4, 3), id="convolution-ncdhw"),
    row("DepthwiseConv2dNative", lambda x: tf.nn.depthwise_conv2d(x, _DW, [1, 2, 2, 1], "SAME"),
        _cast(lambda x: np_depthwise(x, _DW, [2, 2], "SAME")), f32(B, 5, 4, 2)),
    row("DepthwiseConv2dNative",
        lambda x: tf.nn.depthwise_conv2d(x, _DW, [1, 1, 1, 1], "VALID", rate=[1, 2],
                                         data_format="NCHW"),
        _cast(_nchw(lambda x: np_depthwise(x, _DW, [1, 1], "VALID", [1, 2]))),
        f32(B, 2, 4, 5), id="nchw-rate"),
    row("DepthwiseConv2dNative",
        lambda x: tf.nn.separable_conv2d(x, _DW, _PW, [1, 1, 1, 1], "SAME"),
        _cast(lambda x: np_conv(np_depthwise(x, _DW, [1, 1], "SAME"), _PW, [1, 1], "VALID")),
        f32(B, 4, 3, 2), id="separable"),
    row("Conv2DBackpropInput",
        lambda y, w: tf.nn.conv2d_transpose(y, w, [2, 5, 7, 2], [1, 2, 2, 1], "SAME"),
        _cast(lambda y, w: np_conv_transpose(y, w, (2, 5, 7, 2), [2, 2], "SAME")),
        f32(2, 3, 4, 3), f32(3, 3, 2, 3)),
    row("Conv2DBackpropInput",
        lambda y, w: tf.nn.conv2d_transpose(y, w, [1, 2, 6, 5], [1, 1, 2, 1], "VALID",
                                            data_format="NCHW", dilations=[1, 1, 1, 2]),
        _cast(lambda y, w: np.moveaxis(np_conv_transpose(
            np.moveaxis(y, 1, -1), w, (1, 6, 5, 2), [2, 1], "VALID", [1, 2]), -1, 1)),
        f32(1, 3, 2, 1), f32(3, 3, 2, 3), id="nchw-valid-dilated"),
    row("Conv3DBackpropInputV2",
        lambda y, w: tf.nn.conv3d_transpose(y, w, [1, 3, 3, 4, 3], [1, 2, 1, 2, 1]),
        _cast(lambda y, w: np_conv_transpose(y, w, (1, 3, 3, 4, 3), [2, 1, 2], "SAME")),
        f32(1, 2, 3, 2, 2), f32(2, 2, 2, 3, 2)),
    row("MaxPool", lambda x: tf.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
        lambda x: np_pool(x, [3, 3], [2, 2], "SAME", "MAX"), f32(B, 5, 7, 2), id="same-overlap"),
    row("MaxPool", lambda x: tf.nn.max_pool(x, 2, 2, "VALID"),
        lambda x: np_pool(x, [2, 2], [2, 2], "VALID", "MAX"), f32(B, 5, 6, 2),
        id="valid-tiles-cropped"),
    row("MaxPool", lambda x: tf.nn.max_pool(x, [1, 1, 2, 3], [1, 1, 2, 3], "SAME",
                                            data_format="NCHW"),
        _nchw(lambda x: np_pool(x, [2, 3], [2, 3], "SAME", "MAX")), f32(B, 2, 4, 6),
        id="nchw-tiles"),
    row("MaxPool", lambda x: tf.nn.pool(x, [3], "MAX", "SAME", strides=[2]),
        lambda x: np_pool(x[:, None], [1, 3], [1, 2], "SAME", "MAX")[:, 0], f32(B, 6, 2),
        id="pool-1d"),
    row("AvgPool", lambda x: tf.nn.avg_pool(x, [1, 3, 2, 1], [1, 2, 1, 1], "SAME"),
        lambda x: np_pool(x, [3, 2], [2, 1], "SAME", "AVG"), f32(B, 5, 4, 2),
        id="same-counts-valid-only"),
    row("AvgPool", lambda x: tf.nn.avg_pool(x, 2, 2, "SAME"),
        lambda x: np_pool(x, [2, 2], [2, 2], "SAME", "AVG"), f32(B, 5, 3, 2),
        id="same-tiles-padded"),
    row("AvgPool", lambda x: tf.nn.pool(x, [2, 2], "AVG", "VALID", strides=[2, 2],
                                        data_format="NCHW"),
        _nchw(lambda x: np_pool(x, [2, 2], [2, 2], "VALID", "AVG")), f32(B, 3, 4, 4),
        id="pool-nchw-tiles"),
    row("MaxPool3D", lambda x: tf.nn.max_pool3d(x, [1, 2, 2, 2, 1], [1, 1, 2, 2, 1], "SAME"),
        lambda x: np_pool(x, [2, 2, 2], [1, 2, 2], "SAME", "MAX"), f32(B, 3, 3, 4, 2)),
    row("MaxPool3D", lambda x: tf.nn.pool(x, [2, 2, 2], "MAX", "VALID", strides=[2, 2, 2]),
        lambda x: np_pool(x, [2, 2, 2], [2, 2, 2], "VALID", "MAX"), f32(B, 4, 2, 5, 1),
        id="pool-tiles"),
    row("AvgPool3D", lambda x: tf.nn.avg_pool3d(x, [1, 2, 3, 2, 1], [1, 2, 2, 1, 1], "SAME"),
        lambda x: np_pool(x, [2, 3, 2], [2, 2, 1], "SAME", "AVG"), f32(B, 3, 5, 2, 2)),
    row("AvgPool3D", lambda x: tf.nn.avg_pool3d(x, [1, 1, 1, 1, 2], [1, 1, 1, 1, 2], "VALID",
                                                data_format="NCDHW"),
        _nchw(lambda x: np_pool(x, [1, 1, 2], [1, 1, 2], "VALID", "AVG")),
        f32(B, 2, 2, 3, 4), id="ncdhw-tiles"),
    row("MaxPoolWithArgmax",
        lambda x: tf.nn.max_pool_with_argmax(x, [1, 3, 2, 1], [1, 2, 2, 1], "SAME")[0],
        lambda x: np_pool(x, [3, 2], [2, 2], "SAME", "MAX"), f32(B, 5, 5, 2)),
    row("MaxPoolWithArgmax",
        lambda x: tf.nn.max_pool_with_argmax(x, [1, 3, 2, 1], [1, 2, 2, 1], "SAME")[1],
        lambda x: _argmax_ref(x, [3, 2], [2, 2], "SAME", False), f32(B, 5, 5, 2),
        dtype=np.int64, id="argmax"),
    row("MaxPoolWithArgmax",
        lambda x: tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 1, 2, 1], "VALID",
                                             output_dtype=tf.int32,
                                             include_batch_in_index=True)[1],
        lambda x: _argmax_ref(x, [2, 2], [1, 2], "VALID", True).astype(np.int32),
        f32(B, 3, 5, 2), dtype=np.int32, id="argmax-with-batch"),
]


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


def test_table(sess):
    check_rows_in_one_run(sess, ROWS)


# -- gradients -------------------------------------------------------------------------------


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape)


def test_conv_gradients():
    check_gradients(
        lambda x, w: [tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"),
                      tf.nn.conv2d(x, w, 1, "VALID", dilations=[1, 1, 2, 1]),
                      tf.nn.conv2d(tf.transpose(x, [0, 3, 1, 2]), w, 2, [[0, 0], [0, 0],
                                                                          [1, 0], [2, 1]],
                                   data_format="NCHW")],
        _rand(1, 3, 5, 2), _rand(2, 2, 2, 1, seed=1))


def test_conv3d_depthwise_and_transpose_gradients():
    check_gradients(
        lambda x, w, dw, y, tw: [
            tf.nn.conv3d(x, w, [1, 1, 2, 1, 1], "SAME"),
            tf.nn.depthwise_conv2d(x[:, 0], dw, [1, 2, 1, 1], "SAME"),
            tf.nn.conv2d_transpose(y, tw, [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
            tf.nn.conv3d_transpose(y[:, None], tw[None], [1, 1, 3, 3, 1], [1, 1, 2, 2, 1])],
        _rand(1, 2, 3, 2, 2), _rand(1, 2, 2, 2, 1, seed=1), _rand(2, 2, 2, 2, seed=2),
        _rand(1, 2, 2, 2, seed=3), _rand(2, 2, 1, 2, seed=4))


def test_pool_gradients():
    # Distinct values: no ties, so the max gradient is well defined.
    x = np.random.default_rng(5).permutation(2 * 5 * 4).reshape(1, 5, 4, 2) / 10.0
    x3 = np.random.default_rng(6).permutation(16).reshape(1, 2, 2, 4, 1) / 10.0
    check_gradients(
        lambda x, x3: [tf.nn.max_pool(x, 3, 2, "SAME"), tf.nn.max_pool(x, 2, 2, "VALID"),
                       tf.nn.avg_pool(x, [1, 3, 2, 1], [1, 2, 1, 1], "SAME"),
                       tf.nn.avg_pool(x, 2, 2, "VALID"),
                       tf.nn.max_pool_with_argmax(x, [1, 2, 3, 1], [1, 2, 2, 1], "SAME")[0],
                       tf.nn.max_pool3d(x3, 2, [1, 1, 1, 2, 1], "SAME"),
                       tf.nn.avg_pool3d(x3, [1, 1, 2, 2, 1], [1, 1, 2, 2, 1], "SAME")],
        x, x3)


# -- edge cases ------------------------------------------------------------------------------


def test_argmax_ties_pick_the_first_and_padding_is_never_chosen(sess):
    with sess.graph.as_default():
        x = tf.constant(np.full((2, 3, 3, 1), -5.0, np.float32))
        out, arg = tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME",
                                              include_batch_in_index=True)
    got, index = sess.run([out, arg])
    assert (got == -5).all()
    assert index[..., 0].tolist() == [[[0, 2], [6, 8]], [[9, 11], [15, 17]]]


def test_default_names():
    with tf.Graph().as_default():
        x = tf.zeros([1, 4, 4, 2])
        assert tf.nn.conv2d(x, _W, 1, "SAME").op.name == "Conv2D"
        assert tf.nn.max_pool(x, 2, 2, "SAME").op.name == "MaxPool"
        assert tf.nn.avg_pool(x, 2, 2, "SAME").op.name == "AvgPool"
        assert tf.nn.depthwise_conv2d(x, _DW, [1, 1, 1, 1], "SAME").op.name == "depthwise"
        sep = tf.nn.separable_conv2d(x, _DW, _PW, [1, 1, 1, 1], "SAME")
        assert sep.op.name == "separable_conv2d" and sep.op.type == "Conv2D"
        assert sep.op.inputs[0].op.name == "separable_conv2d/depthwise"
        c1 = tf.nn.conv1d(tf.zeros([1, 5, 2]), _W1, 1, "SAME")
        assert c1.op.type == "Squeeze" and c1.op.inputs[0].op.name == "conv1d"
        assert tf.nn.convolution(x, _W, "SAME").op.name == "convolution"
        assert tf.nn.conv2d(x, _W, 1, "SAME", name="c").op.name == "c"


def test_build_errors_name_the_op(sess):
    with sess.graph.as_default():
        x = tf.zeros([1, 4, 4, 2])
        with pytest.raises(ValueError, match="batch and depth dimensions"):
            tf.nn.conv2d(x, _W, [2, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="not a multiple of input depth.*'Conv2D'"):
            tf.nn.conv2d(tf.zeros([1, 4, 4, 3]), _W, 1, "SAME")
        with pytest.raises(ValueError, match="Negative dimension size.*'Conv2D'"):
            tf.nn.conv2d(tf.zeros([1, 2, 4, 2]), _W, 1, "VALID")
        with pytest.raises(ValueError, match="not in the list of allowed values"):
            tf.nn.conv2d(x, _W, 1, "FULL")
        with pytest.raises(ValueError, match='"EXPLICIT" is not a valid value'):
            tf.nn.conv2d(x, _W, 1, "EXPLICIT")
        with pytest.raises(ValueError, match="Nonzero explicit padding"):
            tf.nn.conv2d(x, _W, 1, [[1, 0], [0, 0], [0, 0], [0, 0]])
        with pytest.raises(ValueError, match="must be of size 4"):
            tf.nn.conv2d(x, _W, 1, [[0, 0], [0, 0]])
        with pytest.raises(ValueError, match="strides should be of length 1, 2 or 4"):
            tf.nn.conv2d(x, _W, [1, 1, 1], "SAME")
        with pytest.raises(TypeError, match="Conv2D"):
            tf.nn.conv2d(tf.zeros([1, 4, 4, 2], tf.int32), tf.zeros([3, 3, 2, 3], tf.int32),
                         1, "SAME")
        with pytest.raises(ValueError, match="Pooling is not yet supported on the batch"):
            tf.nn.max_pool(x, [2, 2, 2, 1], 1, "SAME")
        with pytest.raises(ValueError, match="Negative dimension size.*'MaxPool'"):
            tf.nn.max_pool(x, 5, 1, "VALID")
        with pytest.raises(ValueError, match="input channels does not match"):
            tf.nn.conv2d_transpose(x, _W, [1, 8, 8, 2], 2)
        with pytest.raises(ValueError, match="output_shape does not match"):
            tf.nn.conv2d_transpose(tf.zeros([1, 4, 4, 3]), _W, [1, 8, 8, 5], 2)
        with pytest.raises(ValueError, match="doesn't match computed.*'Conv2DBackpropInput'"):
            tf.nn.conv2d_transpose(tf.zeros([1, 4, 4, 3]), _W, [1, 12, 12, 2], 2, "VALID")
        with pytest.raises(ValueError, match="Data formats other than 'NHWC'"):
            tf.nn.max_pool_with_argmax(x, 2, 2, "SAME", data_format="NCHW")
        with pytest.raises(ValueError, match="pooling_type"):
            tf.nn.pool(x, [2, 2], "MIN", "SAME")
        with pytest.raises(ValueError, match="strides > window_shape"):
            tf.nn.pool(x, [2, 2], "MAX", "SAME", strides=[3, 3])
        with pytest.raises(ValueError, match="cannot be less than one"):
            tf.nn.atrous_conv2d(x, _W, 0, "SAME")
        with pytest.raises(ValueError, match="data_format"):
            tf.nn.conv2d(x, _W, 1, "SAME", data_format="HWNC")


def test_run_time_shape_errors(sess):
    with sess.graph.as_default():
        x = tf.placeholder(tf.float32, [None, None, None, 2])
        y = tf.nn.conv2d(x, _W, 1, "VALID")
        p = tf.nn.max_pool(x, 3, 1, "VALID")
    assert y.shape.as_list() == [None, None, None, 3]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Negative dimension"):
        sess.run(y, {x: np.zeros((1, 2, 4, 2), np.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(p, {x: np.zeros((1, 2, 4, 2), np.float32)})


def test_float16_and_float64_keep_their_dtype(sess):
    with sess.graph.as_default():
        outs = [tf.nn.conv2d(tf.ones([1, 3, 3, 2], dt), tf.ones([2, 2, 2, 1], dt), 1, "SAME")
                for dt in (tf.float16, tf.float64)]
        outs.append(tf.nn.avg_pool(tf.ones([1, 3, 3, 1], tf.float16), 2, 2, "SAME"))
    got = sess.run(outs)
    assert [v.dtype for v in got] == [np.float16, np.float64, np.float16]
    assert got[0][0, :, :, 0].tolist() == [[8, 8, 4], [8, 8, 4], [4, 4, 2]]
    assert (got[2] == 1).all()
