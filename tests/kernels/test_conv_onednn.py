"""oneDNN's Conv2D and gradients (kernels/conv_onednn.py) against numpy, XLA's convolution
and finite differences; the fallback to XLA's when switched off (`FLOWGRAPH_ONEDNN=0`).

Where oneDNN is installed (the `cpu-conv` extra, which CI's `test` extra includes) the
CPU segments run its custom calls; without it the same tests check XLA's path."""

from __future__ import annotations

import threading

import jax
import numpy as np
import pytest
from jax import lax

import flowgraph as tf
from kernels import conv_onednn
from kernels.native import onednn
from tests.gradient_checker import check_gradients

# x shape, filter shape, strides, padding, dilations
CASES = [
    ((2, 7, 6, 3), (3, 2, 3, 4), (1, 1), "SAME", (1, 1)),
    ((1, 9, 8, 2), (3, 3, 2, 5), (2, 3), "SAME", (1, 1)),  # odd SAME pads, at the end
    ((2, 8, 9, 3), (2, 3, 3, 2), (1, 2), "VALID", (2, 1)),
    ((1, 6, 7, 2), (3, 2, 2, 3), (2, 1), ((1, 2), (0, 3)), (1, 2)),
    ((3, 10, 10, 1), (5, 5, 1, 4), (1, 1), "SAME", (1, 1)),  # one input channel
    # A batch cut into chunks of two sizes (7 = 1 + 2 + 2 + 2 on 2 cores, 3 + 4 on one),
    # and channels that oneDNN blocks: the filter and the summed filter gradients reordered.
    ((7, 9, 9, 16), (3, 3, 16, 32), (1, 1), "SAME", (1, 1)),
]


def _rand(shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def _numpy_conv(x, w, geo):
    """Direct NHWC/HWIO convolution: a sum over the filter taps."""
    sh, sw, dh, dw, top, left, bottom, right = geo
    xp = np.pad(x.astype(np.float64), ((0, 0), (top, bottom), (left, right), (0, 0)))
    n, oh, ow, o = conv_onednn.out_shape(x.shape, w.shape, geo)
    out = np.zeros((n, oh, ow, o))
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            rows = xp[:, i * dh : i * dh + (oh - 1) * sh + 1 : sh]
            taps = rows[:, :, j * dw : j * dw + (ow - 1) * sw + 1 : sw]
            out += taps @ w[i, j].astype(np.float64)
    return out


def _xla(x, w, geo):
    pads = ((geo[4], geo[6]), (geo[5], geo[7]))
    dn = ("NHWC", "HWIO", "NHWC")
    return lax.conv_general_dilated(
        x,
        w,
        geo[:2],
        pads,
        rhs_dilation=geo[2:4],
        dimension_numbers=dn,
        precision=lax.Precision.HIGHEST,
    )


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("x_shape, w_shape, strides, padding, dilations", CASES)
def test_conv_and_its_gradients_match_numpy_and_xla(x_shape, w_shape, strides, padding, dilations):
    geo = conv_onednn.geometry(x_shape, w_shape, strides, padding, dilations)
    x, w = _rand(x_shape, 0), _rand(w_shape, 1)
    y = jax.jit(conv_onednn.conv, static_argnums=2)(x, w, geo)
    _close(y, _numpy_conv(x, w, geo))
    dy = _rand(y.shape, 2)
    _, pull = jax.vjp(lambda x, w: _xla(x, w, geo), x, w)
    want_dx, want_dw = pull(dy)
    dx = jax.jit(conv_onednn.backprop_input, static_argnums=(2, 3))(dy, w, x_shape, geo)
    dw = jax.jit(conv_onednn.backprop_filter, static_argnums=(2, 3))(x, dy, w_shape, geo)
    _close(dx, want_dx)
    _close(dw, want_dw)


def test_gradients_of_gradients_match_xla():
    x_shape, w_shape, strides, padding, dilations = CASES[1]
    geo = conv_onednn.geometry(x_shape, w_shape, strides, padding, dilations)
    x, w = _rand(x_shape, 0), _rand(w_shape, 1)

    def loss(conv, x, w):  # a second-order term: the gradient's own gradient
        g = jax.grad(lambda x, w: (conv(x, w) ** 2).sum(), argnums=(0, 1))(x, w)
        return (g[0] ** 3).sum() + (g[1] ** 3).sum()

    got = jax.jit(
        jax.grad(lambda x, w: loss(lambda a, b: conv_onednn.conv(a, b, geo), x, w), argnums=(0, 1))
    )(x, w)
    want = jax.grad(lambda x, w: loss(lambda a, b: _xla(a, b, geo), x, w), argnums=(0, 1))(x, w)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-4, atol=1e-3)


def test_cpu_segments_call_onednn_where_it_is_installed():
    geo = conv_onednn.geometry((1, 5, 5, 2), (3, 3, 2, 2), (1, 1), "SAME", (1, 1))
    x, w = _rand((1, 5, 5, 2), 0), _rand((3, 3, 2, 2), 1)
    text = jax.jit(conv_onednn.conv, static_argnums=2).lower(x, w, geo).as_text()
    assert ("flowgraph_onednn_conv2d" in text) == onednn.available()
    assert ("convolution" in text) != onednn.available()


def test_float32_conv2d_gradients_in_a_graph_match_finite_differences():
    check_gradients(
        lambda x, w: [
            tf.nn.conv2d(x, w, [1, 2, 1, 1], "SAME"),
            tf.nn.conv2d(x, w, 1, "VALID", dilations=[1, 2, 1, 1]),
        ],
        _rand((2, 6, 5, 3), 0),
        _rand((2, 2, 3, 2), 1),
    )


def test_backprop_ops_in_a_graph_match_xla_and_numpy():
    x, w = _rand((2, 7, 6, 3), 0), _rand((3, 3, 3, 4), 1)
    geo = conv_onednn.geometry(x.shape, w.shape, (2, 2), "SAME", (1, 1))
    dy = _rand(conv_onednn.out_shape(x.shape, w.shape, geo), 2)
    _, pull = jax.vjp(lambda x, w: _xla(x, w, geo), x, w)
    want_dx, want_dw = pull(dy)
    with tf.Graph().as_default(), tf.Session() as sess:
        y = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME")
        dx = tf.nn.conv2d_backprop_input(x.shape, w, dy, [1, 2, 2, 1], "SAME")
        dw = tf.nn.conv2d_backprop_filter(x, w.shape, dy, [1, 2, 2, 1], "SAME")
        y, dx, dw = sess.run([y, dx, dw])
    _close(y, _numpy_conv(x, w, geo))
    _close(dx, want_dx)
    _close(dw, want_dw)


def test_switched_off_convolutions_are_xlas(monkeypatch):
    monkeypatch.setenv("FLOWGRAPH_ONEDNN", "0")
    monkeypatch.setattr(onednn, "_state", {})
    assert not onednn.available()
    x, w = _rand((1, 6, 6, 2), 0), _rand((3, 3, 2, 3), 1)
    assert not conv_onednn.usable(x, w, "NHWC", 1)
    geo = conv_onednn.geometry(x.shape, w.shape, (1, 1), "SAME", (1, 1))
    with tf.Graph().as_default(), tf.Session() as sess:
        y = sess.run(tf.nn.conv2d(x, w, 1, "SAME"))
    _close(y, _numpy_conv(x, w, geo))


def test_only_nhwc_float32_single_group_convolutions_are_offered():
    x, w = _rand((1, 6, 6, 2), 0), _rand((3, 3, 2, 3), 1)
    assert not conv_onednn.usable(x.astype(np.float64), w.astype(np.float64), "NHWC", 1)
    assert not conv_onednn.usable(x, w, "NCHW", 1)
    assert not conv_onednn.usable(x, _rand((3, 3, 1, 4), 1), "NHWC", 2)
    assert conv_onednn.usable(x, w, "NHWC", 1) == onednn.available()


def test_geometry_resolves_tf_padding():
    # SAME, stride 2 over 7: output 4, 2 * 3 + 3 - 7 = 2 padded, 1 before and 1 after;
    # over 8: 1 padded, 0 before and the odd one after, as TF.
    geo = conv_onednn.geometry((1, 7, 8, 1), (3, 3, 1, 1), (2, 2), "SAME", (1, 1))
    assert geo == (2, 2, 1, 1, 1, 0, 1, 1)
    assert conv_onednn.out_shape((1, 7, 8, 1), (3, 3, 1, 1), geo) == (1, 4, 4, 1)
    geo = conv_onednn.geometry((1, 7, 8, 1), (3, 3, 1, 1), (1, 1), "VALID", (2, 1))
    assert conv_onednn.out_shape((1, 7, 8, 1), (3, 3, 1, 1), geo) == (1, 3, 6, 1)


def test_gpu_segments_keep_xlas_convolution():
    geo = conv_onednn.geometry((1, 5, 5, 2), (3, 3, 2, 2), (1, 1), "SAME", (1, 1))
    x, w = _rand((1, 5, 5, 2), 0), _rand((3, 3, 2, 2), 1)

    def grads(x, w):
        return jax.grad(lambda x, w: conv_onednn.conv(x, w, geo).sum(), argnums=(0, 1))(x, w)

    text = jax.export.export(jax.jit(grads), platforms=["cuda"])(x, w).mlir_module()
    assert "flowgraph_onednn" not in text
    assert text.count("stablehlo.convolution") == 2  # dx and dw; the forward is unused


def test_threads_running_convolutions_at_once_get_their_own_values():
    geo = conv_onednn.geometry((4, 12, 12, 8), (3, 3, 8, 16), (1, 1), "SAME", (1, 1))
    step = jax.jit(jax.grad(lambda x, w: (conv_onednn.conv(x, w, geo) ** 2).sum(), argnums=(0, 1)))
    inputs = [(_rand((4, 12, 12, 8), s), _rand((3, 3, 8, 16), s + 10)) for s in range(4)]
    want = [step(x, w) for x, w in inputs]
    got = [None] * len(inputs)

    def run(i):
        for _ in range(5):
            got[i] = step(*inputs[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for g, w in zip(got, want):  # a scratchpad or stream shared by threads would mix them
        _close(g[0], w[0])
        _close(g[1], w[1])
