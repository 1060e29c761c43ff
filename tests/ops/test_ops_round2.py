"""Round 2 ops: tf.math, bincount, space/batch/depth moves, quantization, rank/shape asserts."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {
    "Bincount", "SpaceToBatchND", "BatchToSpaceND", "SpaceToDepth", "DepthToSpace",
    "QuantizeV2", "Dequantize", "FakeQuantWithMinMaxArgs", "FakeQuantWithMinMaxArgsGradient",
}
GRADIENT_CHECKED = {
    "SpaceToBatchND", "BatchToSpaceND", "SpaceToDepth", "DepthToSpace",
    "FakeQuantWithMinMaxArgs",
}
NOT_DIFFERENTIABLE = {
    "Bincount": "host op with a data-dependent size; integer counts",
    "QuantizeV2": "integer (quantized) output: TF has no gradient",
    "Dequantize": "integer (quantized) input: TF has no gradient",
    "FakeQuantWithMinMaxArgsGradient": "a gradient op; TF registers no gradient for it",
}


def _s2b_ref(x, block, pads):
    x = np.pad(x, [(0, 0)] + pads + [(0, 0)] * (x.ndim - 1 - len(block)))
    n = x.shape[0]
    parts = []
    for i in range(block[0]):
        for j in range(block[1]):
            parts.append(x[:, i::block[0], j::block[1]])
    return np.concatenate(parts)[: n * block[0] * block[1]]


def _s2d_ref(x, b):
    n, h, w, c = x.shape
    out = np.zeros((n, h // b, w // b, c * b * b), x.dtype)
    for i in range(b):
        for j in range(b):
            out[..., (i * b + j) * c:(i * b + j + 1) * c] = x[:, i::b, j::b]
    return out


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


def test_math_namespace():
    for name in ["add", "reduce_std", "reduce_variance", "bincount", "top_k", "real", "angle",
                 "unsorted_segment_prod", "log_sigmoid", "truncatemod", "floormod", "mod"]:
        assert callable(getattr(tf.math, name)), name
    assert tf.math.add is tf.add and tf.math.top_k is tf.nn.top_k


def test_bincount(sess):
    with sess.graph.as_default():
        arr = tf.placeholder(tf.int32, [None])
        outs = [tf.bincount(arr), tf.math.bincount(arr, minlength=7),
                tf.bincount(arr, maxlength=2), tf.bincount(arr, dtype=tf.float32),
                tf.bincount(arr, weights=tf.cast(arr, tf.float64) + 0.5),
                tf.bincount(tf.zeros([0], tf.int32))]
        assert outs[0].op.type == "Bincount" and outs[0].shape.as_list() == [None]
        assert outs[3].dtype == tf.float32 and outs[4].dtype == tf.float64
        neg = tf.bincount(tf.placeholder_with_default([-1, 2], [2]))
    v = np.array([1, 1, 4, 0, 1], np.int32)
    got = sess.run(outs, {arr: v})
    np.testing.assert_array_equal(got[0], np.bincount(v))
    np.testing.assert_array_equal(got[1], np.bincount(v, minlength=7))
    np.testing.assert_array_equal(got[2], np.bincount(v)[:2])
    np.testing.assert_array_equal(got[3], np.bincount(v).astype(np.float32))
    np.testing.assert_allclose(got[4], np.bincount(v, weights=v + 0.5))
    assert got[5].shape == (0,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative"):
        sess.run(neg)


@pytest.mark.parametrize("known", [True, False])
def test_space_batch_depth_values_and_shapes(known, sess):
    x = np.arange(2 * 4 * 6 * 3, dtype=np.float32).reshape(2, 4, 6, 3)
    with sess.graph.as_default():
        p = tf.placeholder(tf.float32, x.shape if known else [None, 4, None, 3])
        pads = [[0, 2], [1, 2]]
        s2b = tf.space_to_batch_nd(p, [2, 3], pads)
        b2s = tf.batch_to_space_nd(s2b, [2, 3], pads)
        s2d = tf.space_to_depth(p, 2)
        d2s = tf.depth_to_space(s2d, 2)
        nchw = tf.space_to_depth(tf.transpose(p, [0, 3, 1, 2]), 2, data_format="NCHW")
        back = tf.depth_to_space(nchw, 2, data_format="NCHW")
        legacy = tf.space_to_batch(p, [[0, 0], [0, 0]], 2)
    expect = {s2b: (12, 3, 3, 3), b2s: x.shape, s2d: (2, 2, 3, 12), nchw: (2, 12, 2, 3)}
    for t, shape in expect.items():
        want = list(shape) if known else [None if i in (0, 2 + (t is nchw)) else d
                                          for i, d in enumerate(shape)]
        assert t.shape.as_list() == want
    got = sess.run([s2b, b2s, s2d, d2s, nchw, back, legacy], {p: x})
    np.testing.assert_array_equal(got[0], _s2b_ref(x, [2, 3], [[0, 2], [1, 2]]))
    np.testing.assert_array_equal(got[1], x)
    np.testing.assert_array_equal(got[2], _s2d_ref(x, 2))
    np.testing.assert_array_equal(got[3], x)
    np.testing.assert_array_equal(got[4], _s2d_ref(x, 2).transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(got[5], x.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(got[6], _s2b_ref(x, [2, 2], [[0, 0], [0, 0]]))


@pytest.mark.parametrize("build, match", [
    (lambda: tf.space_to_batch_nd(tf.zeros([1, 5, 4, 1]), [2, 2], [[0, 0], [0, 0]]),
     "not divisible by block_shape"),
    (lambda: tf.batch_to_space_nd(tf.zeros([3, 2, 2, 1]), [2, 2], [[0, 0], [0, 0]]),
     "not divisible by product of block sizes"),
    (lambda: tf.space_to_batch_nd(tf.zeros([1, 4, 4, 1]), [2, 2], [[0, 0]]), "shape \\[2, 2\\]"),
    (lambda: tf.space_to_depth(tf.zeros([1, 5, 4, 1]), 2), "divisible by block_size"),
    (lambda: tf.depth_to_space(tf.zeros([1, 2, 2, 3]), 2), "evenly divisible by 4"),
    (lambda: tf.space_to_depth(tf.zeros([1, 4, 4, 1]), 1), "must be at least minimum 2"),
    (lambda: tf.space_to_depth(tf.zeros([1, 4, 4, 1]), 2, data_format="NWHC"), "data_format"),
])
def test_space_depth_build_errors(build, match):
    with tf.Graph().as_default(), pytest.raises(ValueError, match=match):
        build()


_X = (np.arange(2 * 4 * 4 * 2, dtype=np.float64).reshape(2, 4, 4, 2) / 11) - 1


@pytest.mark.parametrize("fn", [
    lambda x: tf.space_to_batch_nd(x, [2, 2], [[0, 2], [1, 1]]),
    lambda x: tf.batch_to_space_nd(x, [2, 1], [[1, 2], [0, 1]]),
    lambda x: tf.space_to_depth(x, 2),
    lambda x: tf.depth_to_space(tf.reshape(x, [2, 8, 2, 2]), 2, data_format="NCHW"),
], ids=["space_to_batch_nd", "batch_to_space_nd", "space_to_depth", "depth_to_space"])
def test_gradients(fn):
    check_gradients(fn, _X)


def test_fake_quant_gradient_is_straight_through():
    x = np.array([-1.0, -0.05, 0.3, 2.5, 5.9, 7.0], np.float32)
    lo, hi, _ = __import__("kernels.math", fromlist=["x"]).fake_quant_nudge(-0.1, 5.9, 8, False)
    with tf.Graph().as_default():
        t = tf.constant(x)
        y = tf.fake_quant_with_min_max_args(t, -0.1, 5.9)
        g = tf.gradients(y, [t])[0]
        assert g.op.type == "FakeQuantWithMinMaxArgsGradient"
        with tf.Session() as s:
            got = s.run(g)
    np.testing.assert_array_equal(got, ((x >= lo) & (x <= hi)).astype(np.float32))
    check_gradients(lambda v: tf.fake_quant_with_min_max_args(tf.cast(v, tf.float32)) * 1.0,
                    np.array([-7.0, 7.0]), atol=1e-3, rtol=1e-3)  # outside: zero gradient


def _fake_quant_ref(x, mn, mx, bits, narrow):
    qmin, qmax = (1 if narrow else 0), 2**bits - 1
    scale = np.float32((mx - mn) / (qmax - qmin))
    zp = qmin - mn / scale
    zp = qmin if zp < qmin else qmax if zp > qmax else np.floor(zp + 0.5)
    lo, hi = np.float32((qmin - zp) * scale), np.float32((qmax - zp) * scale)
    c = np.clip(x, lo, hi)
    inv = np.float32(1) / scale  # TF multiplies by the float32 inverse scale
    return (np.floor((c - lo) * inv + np.float32(0.5)) * scale + lo).astype(np.float32)


@pytest.mark.parametrize("args", [(-6, 6, 8, False), (-0.1, 5.9, 8, False), (0.5, 3.0, 4, True),
                                  (-3.0, -1.0, 8, False)])
def test_fake_quant_values(args, sess):
    x = np.linspace(-7, 7, 57).astype(np.float32)
    with sess.graph.as_default():
        y = tf.fake_quant_with_min_max_args(x, *args)
    np.testing.assert_allclose(sess.run(y), _fake_quant_ref(x, *args), atol=1e-5)


def test_fake_quant_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="num_bits"):
            tf.fake_quant_with_min_max_args([1.0], num_bits=1)
        with pytest.raises(ValueError, match="min has to be smaller than max"):
            tf.fake_quant_with_min_max_args([1.0], 2.0, 1.0)


def _quantize_ref(x, lo, hi, dtype, mode):
    info = np.iinfo(dtype)
    lo = min(0.0, lo)
    hi = max(0.0, max(hi, lo + max(1.0, abs(lo), abs(hi)) / 100))
    if mode == "MIN_COMBINED":
        y = (np.clip(x, lo, hi) - lo) * (float(info.max) - info.min) / (hi - lo)
        if info.min < 0:
            y -= (float(info.max) - info.min + 1) / 2
        q = np.sign(y) * np.floor(np.abs(y) + 0.5)
    elif mode == "MIN_FIRST":
        scale = (2.0**info.bits - 1) / (hi - lo)
        q = np.clip(np.round(x * scale) - np.round(lo * scale) + info.min, info.min, info.max)
    else:
        scale = min(info.min / lo if info.min * lo > 0 else np.inf,
                    info.max / hi if info.max * hi > 0 else np.inf)
        lo, hi = info.min / scale, info.max / scale
        q = np.round(np.clip(x, lo, hi) * scale)
    return q.astype(dtype), lo, hi


@pytest.mark.parametrize("T, np_type", [(tf.quint8, np.uint8), (tf.qint8, np.int8),
                                        (tf.qint16, np.int16)])
@pytest.mark.parametrize("mode", ["MIN_COMBINED", "MIN_FIRST", "SCALED"])
def test_quantize_dequantize(T, np_type, mode, sess):
    x = np.array([-1.3, -1.0, 0.0, 0.3, 0.71, 2.5, 6.0, 6.2], np.float32)
    with sess.graph.as_default():
        q = tf.quantize_v2(x, -1.0, 6.0, T, mode, round_mode="HALF_TO_EVEN"
                           if mode == "SCALED" else "HALF_AWAY_FROM_ZERO")
        assert q.output.dtype == T and q.output.op.type == "QuantizeV2"
        d = tf.dequantize(q.output, q.output_min, q.output_max, mode=mode)
        assert d.dtype == tf.float32
        q1 = tf.quantize(x, -1.0, 6.0, T, mode)
    got, back, got1 = sess.run([q, d, q1])
    want, lo, hi = _quantize_ref(x.astype(np.float64), -1.0, 6.0, np_type, mode)
    np.testing.assert_allclose([got.output_min, got.output_max], [lo, hi], rtol=1e-6)
    assert np.abs(got.output.astype(np.int64) - want.astype(np.int64)).max() <= 1
    np.testing.assert_array_equal(got.output, got1.output) if mode != "SCALED" else None
    step = (hi - lo) / (2.0 ** np.iinfo(np_type).bits - 1) * (2 if mode == "SCALED" else 1)
    inside = (x >= lo) & (x <= hi)
    np.testing.assert_allclose(back[inside], x[inside], atol=step * 1.01)


def test_quantize_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Mode string"):
            tf.quantize_v2([1.0], 0.0, 1.0, tf.quint8, "MIN_LAST")
        with pytest.raises(ValueError, match="only supported for mode 'SCALED'"):
            tf.quantize_v2([1.0], 0.0, 1.0, tf.quint8, round_mode="HALF_TO_EVEN")
        with pytest.raises(TypeError, match="not in list of allowed values"):
            tf.quantize_v2([1.0], 0.0, 1.0, tf.int8)


def test_assert_rank_at_least_and_assert_shape(sess):
    with sess.graph.as_default():
        p = tf.placeholder(tf.float32, [None, 3])
        assert tf.assert_rank_at_least(p, 2).type == "NoOp"
        with pytest.raises(ValueError, match="must have rank at least 3"):
            tf.assert_rank_at_least(p, 3)
        with pytest.raises(ValueError, match="must have shape"):
            tf.assert_shape(p, [None, 4])
        assert tf.assert_shape(tf.zeros([2, 3]), [2, -1]).type == "NoOp"
        u = tf.placeholder(tf.float32)
        rank_check = tf.assert_rank_at_least(u, 2)
        shape_check = tf.assert_shape(p, [2, 3])
    sess.run([rank_check, shape_check], {u: np.zeros([1, 1, 1]), p: np.zeros([2, 3])})
    with pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(rank_check, {u: np.zeros([3])})
    with pytest.raises(tf.errors.InvalidArgumentError):
        sess.run(shape_check, {p: np.zeros([1, 3])})
