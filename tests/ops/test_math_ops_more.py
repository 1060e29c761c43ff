"""More math ops against numpy: trig and special functions, rounding, scans, arg reductions,
composite reductions, moments and segment reductions; their gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import math_ops
from tests.gradient_checker import check_gradients
from tests.ops.test_op_table import (
    B,
    check_rows_in_one_run,
    f32,
    i32,
    row,
)

OP_TYPES_TESTED = {
    "TruncateDiv", "TruncateMod", "Atan2", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
    "Acosh", "Atanh", "Erf", "Erfc", "Lgamma", "Digamma", "Round", "Rint", "IsFinite", "IsNan",
    "IsInf", "Cumsum", "Cumprod", "ArgMax", "ArgMin", "SegmentSum", "SegmentMean",
    "SegmentMax", "SegmentMin", "SegmentProd", "UnsortedSegmentMax", "UnsortedSegmentMin",
    "UnsortedSegmentProd",
}
GRADIENT_CHECKED = {
    "Atan2", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Erf", "Erfc",
    "Lgamma", "Digamma", "Cumsum", "Cumprod", "SegmentSum", "SegmentMean", "SegmentMax",
    "SegmentMin", "SegmentProd", "UnsortedSegmentMax", "UnsortedSegmentMin",
    "UnsortedSegmentProd",
}
NOT_DIFFERENTIABLE = {
    "TruncateDiv": "piecewise constant; TF1 registers no gradient",
    "TruncateMod": "TF1 registers no gradient",
    "Round": "piecewise constant (TF1's gradient is None)",
    "Rint": "piecewise constant (TF1's gradient is None)",
    "IsFinite": "bool output",
    "IsNan": "bool output",
    "IsInf": "bool output",
    "ArgMax": "integer output",
    "ArgMin": "integer output",
}

_erf = np.vectorize(math.erf, otypes=[np.float64])
_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])


def _digamma(x):
    # The asymptotic series after shifting x above 6 with psi(x) = psi(x + 1) - 1 / x.
    x = np.asarray(x, np.float64)
    shift = np.zeros_like(x)
    while np.any(x < 6):
        small = x < 6
        shift = shift - np.where(small, 1 / x, 0)
        x = np.where(small, x + 1, x)
    x2 = 1 / (x * x)
    return shift + np.log(x) - 0.5 / x - x2 * (1 / 12 - x2 * (1 / 120 - x2 / 252))


def _as(f, dtype=np.float32):
    return lambda *a: np.asarray(f(*a)).astype(dtype)


def _exclusive_cumsum(x):
    return np.concatenate([np.zeros_like(x[:, :1]), np.cumsum(x, 1)[:, :-1]], 1)


def _segment_ref(reduce, ids, rows, empty):
    def ref(x):
        out = [reduce(x[ids == k], 0) if (ids == k).any() else np.full(x.shape[1:], empty)
               for k in range(rows)]
        return np.stack(out).astype(x.dtype)

    return ref


_IDS = np.array([0, 0, 2, 3, 3])
# TF's segment shape function leaves the row count unknown, even for constant ids.
_ROWS_UNKNOWN = {"known": (None, 4), "partial": (None, None)}
_LOW_F32 = np.finfo(np.float32).min

ROWS = [
    row("TruncateDiv", tf.truncatediv, lambda x, y: np.fix(x / y).astype(np.int32), i32(B, 3),
        i32(3, nonzero=True)),
    row("TruncateDiv", tf.truncatediv, lambda x, y: np.fix(x / y), f32(B, 3),
        f32(B, 3, low=0.5), id="float32"),
    row("TruncateMod", tf.truncatemod, np.fmod, i32(B, 3), i32(B, 3, nonzero=True)),
    row("TruncateMod", tf.truncatemod, np.fmod, f32(B, 3), f32(1, 3, low=0.5), id="float32"),
    row("Atan2", tf.atan2, np.arctan2, f32(B, 3), f32(B, 3)),
    row("Asin", tf.asin, np.arcsin, f32(B, 3, low=-1, high=1)),
    row("Acos", tf.acos, np.arccos, f32(B, 3, low=-1, high=1)),
    row("Atan", tf.atan, np.arctan, f32(B, 3)),
    row("Sinh", tf.sinh, np.sinh, f32(B, 3)),
    row("Cosh", tf.cosh, np.cosh, f32(B, 3)),
    row("Asinh", tf.asinh, np.arcsinh, f32(B, 3)),
    row("Acosh", tf.acosh, np.arccosh, f32(B, 3, low=1, high=4)),
    row("Atanh", tf.atanh, np.arctanh, f32(B, 3, low=-0.9, high=0.9)),
    row("Erf", tf.erf, _as(_erf), f32(B, 3)),
    row("Erfc", tf.erfc, _as(lambda x: 1 - _erf(x)), f32(B, 3)),
    row("Lgamma", tf.lgamma, _as(_lgamma), f32(B, 3, low=-2.5, high=5)),
    row("Digamma", tf.digamma, _as(_digamma), f32(B, 3, low=0.2, high=5)),
    row("Round", tf.round, np.round, f32(B, 3, low=-4, high=4)),
    row("Rint", tf.rint, np.rint, f32(B, 3, low=-4, high=4)),
    row("IsFinite", lambda x: tf.is_finite(1 / x), lambda x: np.isfinite(1 / x),
        f32(B, 3, low=-1, high=1), dtype=np.bool_),
    row("IsNan", lambda x: tf.is_nan(tf.sqrt(x)), lambda x: x < 0, f32(B, 3), dtype=np.bool_),
    row("IsInf", lambda x: tf.is_inf(tf.exp(x)), lambda x: x > np.log(np.finfo(np.float32).max),
        f32(B, 3, low=-100, high=100), dtype=np.bool_),
    row("Cumsum", tf.cumsum, lambda x: np.cumsum(x, 0), f32(B, 3)),
    row("Cumsum", lambda x: tf.cumsum(x, -1), lambda x: np.cumsum(x, -1, dtype=np.int32),
        i32(B, 3), id="int32-negative-axis"),
    row("Cumsum", lambda x: tf.cumsum(x, 1, exclusive=True), _exclusive_cumsum, f32(B, 3),
        id="exclusive"),
    row("Cumsum", lambda x: tf.cumsum(x, 1, reverse=True),
        lambda x: np.cumsum(x[:, ::-1], 1)[:, ::-1], f32(B, 3), id="reverse"),
    row("Cumsum", lambda x: tf.cumsum(x, 1, exclusive=True, reverse=True),
        lambda x: _exclusive_cumsum(x[:, ::-1])[:, ::-1], f32(B, 3), id="exclusive-reverse"),
    row("Cumprod", lambda x: tf.cumprod(x, 1), lambda x: np.cumprod(x, 1), f32(B, 3)),
    row("Cumprod", lambda x: tf.cumprod(x, 0, exclusive=True, reverse=True),
        lambda x: np.concatenate([np.cumprod(x[::-1], 0)[::-1][1:], np.ones_like(x[:1])]),
        i32(B, 3, low=-3, high=4), id="int32-exclusive-reverse"),
    row("ArgMax", lambda x: tf.argmax(x, 1), lambda x: np.argmax(x, 1), f32(B, 3),
        dtype=np.int64),
    row("ArgMax", tf.argmax, lambda x: np.argmax(x, 0), i32(B, 3), dtype=np.int64,
        id="default-axis-0"),
    row("ArgMax", lambda x: tf.argmax(x, dimension=-1, output_type=tf.int32),
        lambda x: np.argmax(x, -1).astype(np.int32), f32(B, 2, 3), dtype=np.int32,
        id="dimension-int32"),
    row("ArgMin", lambda x: tf.argmin(x, 1), lambda x: np.argmin(x, 1), f32(B, 3),
        dtype=np.int64),
    row("ArgMin", lambda x: tf.argmin(x, axis=0, output_type=tf.int32),
        lambda x: np.argmin(x, 0).astype(np.int32), i32(B, 3), dtype=np.int32, id="int32"),
    row("SegmentSum", lambda x: tf.segment_sum(x, _IDS), _segment_ref(np.sum, _IDS, 4, 0),
        f32(5, B), **_ROWS_UNKNOWN),
    row("SegmentSum", lambda x: tf.segment_sum(x, _IDS), _segment_ref(np.sum, _IDS, 4, 0),
        i32(5, B, 2), id="int32", known=(None, 4, 2), partial=(None, None, 2)),
    row("SegmentMean", lambda x: tf.segment_mean(x, _IDS), _segment_ref(np.mean, _IDS, 4, 0),
        f32(5, B), **_ROWS_UNKNOWN),
    row("SegmentMax", lambda x: tf.segment_max(x, _IDS), _segment_ref(np.max, _IDS, 4, 0),
        f32(5, B), **_ROWS_UNKNOWN),
    row("SegmentMin", lambda x: tf.segment_min(x, _IDS), _segment_ref(np.min, _IDS, 4, 0),
        i32(5, B), **_ROWS_UNKNOWN),
    row("SegmentProd", lambda x: tf.segment_prod(x, _IDS), _segment_ref(np.prod, _IDS, 4, 1),
        f32(5, B), **_ROWS_UNKNOWN),
    row("UnsortedSegmentMax", lambda x, i: tf.unsorted_segment_max(x, i, 3),
        lambda x, i: _segment_ref(np.max, i, 3, _LOW_F32)(x), f32(5, B), i32(5, low=0, high=3)),
    row("UnsortedSegmentMin", lambda x, i: tf.unsorted_segment_min(x, i, 3),
        lambda x, i: _segment_ref(np.min, i, 3, np.iinfo(np.int32).max)(x), i32(5, B),
        i32(5, low=-1, high=3)),
    row("UnsortedSegmentProd", lambda x, i: tf.unsorted_segment_prod(x, i, 3),
        lambda x, i: _segment_ref(np.prod, i, 3, 1)(x), f32(5, B), i32(5, low=0, high=3)),
    # Composites of existing ops.
    row("Sum", lambda x: tf.reduce_logsumexp(x, 1),
        lambda x: np.log(np.exp(x.astype(np.float64)).sum(1)), f32(B, 3, low=-50, high=50),
        id="reduce_logsumexp"),
    row("Sum", lambda x: tf.count_nonzero(x, 1), lambda x: np.count_nonzero(x, 1),
        i32(B, 3, low=-1, high=2), dtype=np.int64, id="count_nonzero"),
    row("Mean", lambda x: math_ops.reduce_variance(x, 0), lambda x: np.var(x, 0), f32(B, 3),
        id="reduce_variance"),
    row("Mean", lambda x: math_ops.reduce_std(x, -1, keepdims=True),
        lambda x: np.std(x, -1, keepdims=True), f32(B, 3), id="reduce_std"),
    row("Mean", lambda x: tf.nn.moments(x, [0])[1], lambda x: np.var(x, 0), f32(B, 3),
        id="moments-variance"),
    row("Mul", lambda x: tf.scalar_mul(2.0, x), lambda x: 2 * x, f32(B, 3), id="scalar_mul"),
    row("Softplus", tf.log_sigmoid, lambda x: -np.log1p(np.exp(-x)), f32(B, 3),
        id="log_sigmoid"),
    row("AddN", lambda x, y: tf.accumulate_n([x, y, x]), lambda x, y: 2 * x + y, f32(B, 3),
        f32(B, 3), id="accumulate_n"),
]


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


def test_table(sess):
    # Every row in one graph and one run: one compile for the table.
    check_rows_in_one_run(sess, ROWS)


# -- gradients -------------------------------------------------------------------------------


def _rand(*shape, low=-2.0, high=2.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def test_elementwise_gradients():
    check_gradients(
        lambda x, y, z, p: [tf.atan2(x, y), tf.asin(z), tf.acos(z), tf.atan(x), tf.sinh(x),
                            tf.cosh(x), tf.asinh(x), tf.acosh(p), tf.atanh(z), tf.erf(x),
                            tf.erfc(x), tf.lgamma(p), tf.digamma(p)],
        _rand(2, 3), _rand(2, 3, seed=1), _rand(2, 3, low=-0.8, high=0.8),
        _rand(2, 3, low=1.2, high=4), atol=1e-5, rtol=1e-5)


def test_scan_gradients():
    x = _rand(2, 3, low=0.5, high=2)
    check_gradients(lambda x: [tf.cumsum(x, 1, exclusive=True), tf.cumsum(x, 0, reverse=True),
                               tf.cumprod(x, 1), tf.cumprod(x, 1, exclusive=True, reverse=True)],
                    x)


def test_cumprod_gradient_with_zeros_is_tensorflows():
    # TF 2.21's CumprodGrad: div_no_nan(reverse cumsum(prod * dy), x): 0 where x is 0,
    # finite elsewhere (the exact derivative would give the zero's other factors).
    x = np.array([2.0, 0.0, 3.0, 0.0, 1.5])
    dy = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    with tf.Graph().as_default():
        t = tf.constant(x)
        (grad,) = tf.gradients(tf.cumprod(t), [t], grad_ys=[tf.constant(dy)])
        with tf.Session() as sess:
            got = sess.run(grad)
    tail = np.cumsum((np.cumprod(x) * dy)[::-1])[::-1]
    want = np.where(x == 0, 0.0, tail / np.where(x == 0, 1.0, x))
    np.testing.assert_allclose(got, want)
    assert got[1] == 0 and got[3] == 0


def test_segment_gradients():
    x = _rand(5, 2)
    ids = np.array([1, 2, 0, 2, 5])
    check_gradients(lambda x: [tf.segment_sum(x, _IDS), tf.segment_mean(x, _IDS),
                               tf.segment_max(x, _IDS), tf.segment_min(x, _IDS),
                               tf.segment_prod(x, _IDS), tf.unsorted_segment_max(x, ids, 4),
                               tf.unsorted_segment_min(x, ids, 4),
                               tf.unsorted_segment_prod(x, ids, 4)], x)


def test_composite_gradients():
    x = _rand(2, 3)
    check_gradients(lambda x: [tf.reduce_logsumexp(x, 1), *tf.nn.moments(x, [0]),
                               math_ops.reduce_std(x), tf.log_sigmoid(x)], x)


# -- edge cases ------------------------------------------------------------------------------


def test_round_is_bankers_rounding_and_keeps_ints(sess):
    with sess.graph.as_default():
        x = tf.constant([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.7, np.nan])
        n = tf.constant([1, -2])
        outs = [tf.round(x), tf.rint(x)]
    assert tf.round(n) is n
    for v in sess.run(outs):
        np.testing.assert_array_equal(v, [-2, -2, -0.0, 0, 2, 2, 4, np.nan])


def test_truncate_div_and_mod_round_toward_zero(sess):
    with sess.graph.as_default():
        x, y = tf.constant([7, -7, 7, -7]), tf.constant([2, 2, -2, -2])
        outs = [tf.truncatediv(x, y), tf.truncatemod(x, y), tf.floordiv(x, y)]
    got = sess.run(outs)
    assert [v.tolist() for v in got] == [[3, -3, -3, 3], [1, -1, 1, -1], [3, -4, -4, 3]]


def test_nan_and_inf_predicates(sess):
    with sess.graph.as_default():
        x = tf.constant([1.0, np.nan, np.inf, -np.inf], tf.float64)
        outs = [tf.is_finite(x), tf.is_nan(x), tf.is_inf(x)]
        with pytest.raises(TypeError, match="IsNan"):
            tf.is_nan(tf.constant([1, 2]))
    got = [v.tolist() for v in sess.run(outs)]
    assert got == [[True, False, False, False], [False, True, False, False],
                   [False, False, True, True]]


def test_scans_of_empty_tensors_and_fed_axis(sess):
    with sess.graph.as_default():
        empty = tf.placeholder(tf.float32, [0, 3])
        x = tf.placeholder(tf.float32, [None, None])
        axis = tf.placeholder(tf.int32, [])
        outs = [tf.cumsum(empty, 0, exclusive=True), tf.cumprod(empty, 1, exclusive=True),
                tf.cumsum(x, axis)]
    assert outs[2].shape.as_list() == [None, None]
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = sess.run(outs, {empty: np.zeros((0, 3)), x: value, axis: -1})
    assert got[0].shape == (0, 3) and got[1].shape == (0, 3)
    np.testing.assert_array_equal(got[2], np.cumsum(value, -1))


def test_scan_errors(sess):
    with sess.graph.as_default():
        with pytest.raises(ValueError, match=r"range \[-2, 2\), but got 2.*'Cumsum'"):
            tf.cumsum(tf.zeros([2, 3]), 2)
        with pytest.raises(TypeError, match="axis"):
            tf.cumsum(tf.zeros([2, 3]), tf.constant(1.0))
        axis = tf.placeholder(tf.int32, [])
        out = tf.cumprod(tf.zeros([2, 3]), axis)
    with pytest.raises(tf.errors.InvalidArgumentError, match="but got -3"):
        sess.run(out, {axis: -3})


def test_argmax_errors_and_nan(sess):
    with sess.graph.as_default():
        x = tf.zeros([2, 3])
        with pytest.raises(ValueError, match="both 'axis' and 'dimension'"):
            tf.argmax(x, axis=0, dimension=0)
        with pytest.raises(ValueError, match="range \\[-2, 2\\).*'ArgMin'"):
            tf.argmin(x, 2)
        with pytest.raises(TypeError, match="output_type"):
            tf.argmax(x, 0, output_type=tf.float32)
        empty = tf.placeholder(tf.float32, [None, 3])
        arg = tf.argmax(empty, 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Reduction axis 0 is empty"):
        sess.run(arg, {empty: np.zeros((0, 3))})


def test_reduce_logsumexp_is_stable_and_handles_infinities(sess):
    with sess.graph.as_default():
        big = tf.constant([[1000.0, 1000.0], [-np.inf, -np.inf]])
        mixed = tf.constant([np.inf, 1.0])
        outs = [tf.reduce_logsumexp(big, 1), tf.reduce_logsumexp(big, keepdims=True),
                tf.reduce_logsumexp(mixed), tf.reduce_logsumexp(big, reduction_indices=[1],
                                                                keep_dims=True)]
    got = sess.run(outs)
    np.testing.assert_allclose(got[0], [1000 + np.log(2), -np.inf])
    assert got[1].shape == (1, 1) and got[2] == np.inf
    assert got[3].shape == (2, 1)


def test_moments_keep_dims_float16_and_names(sess):
    with sess.graph.as_default():
        x = tf.placeholder(tf.float16, [None, 4])
        mean, variance = tf.nn.moments(x, [0, 1], keep_dims=True)
        m2, v2 = tf.nn.moments(tf.constant([[1.0, 3.0]]), axes=[1], name="stats")
    assert mean.dtype == tf.float16 and mean.shape.as_list() == [1, 1]
    assert m2.name.startswith("stats/") and m2.shape.as_list() == [1]
    value = np.arange(8, dtype=np.float16).reshape(2, 4)
    got = sess.run([mean, variance, m2, v2], {x: value})
    np.testing.assert_allclose(got[0], [[3.5]])
    np.testing.assert_allclose(got[1], [[5.25]])
    assert got[2].tolist() == [2.0] and got[3].tolist() == [1.0]


def test_count_nonzero_dtype_and_nan(sess):
    with sess.graph.as_default():
        x = tf.constant([[0.0, np.nan, 2.0], [0.0, 0.0, -1.0]])
        outs = [tf.count_nonzero(x), tf.count_nonzero(x, axis=0, keepdims=True, dtype=tf.int32)]
    got = sess.run(outs)
    assert got[0] == 3 and got[0].dtype == np.int64
    assert got[1].tolist() == [[0, 1, 2]] and got[1].dtype == np.int32


def test_segment_ops_with_fed_ids_errors_and_empty_segments(sess):
    with sess.graph.as_default():
        data = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        ids = tf.placeholder(tf.int32, [3])
        total = tf.segment_sum(data, ids)
        largest = tf.segment_max(data, ids)
        # As TF: bad constant ids build (the shape function does not read them) and fail
        # when run, with TF's texts.
        falling = tf.segment_sum(data, [1, 0, 2])
        short = tf.segment_mean(data, [0, 1])
        negative = tf.segment_max(data, [-1, 0, 1])
        constant = tf.segment_prod(data, [0, 0, 1])
        low = tf.unsorted_segment_max(tf.constant([1, 2]), [0, 0], 2)
    assert total.shape.as_list() == [None, 2]
    assert constant.shape.as_list() == [None, 2]  # TF's shape function: rows unknown
    for bad, text in [
        (falling, f"SegmentSum op '{falling.op.name}': segment ids are not increasing"),
        (short, "segment_ids should be the same size as dimension 0 of input."),
        (negative, "Segment id -1 out of range [0, 2), possibly because 'segment_ids' input "),
    ]:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(bad)
        assert text in str(info.value)
    assert sess.run(constant).tolist() == [[3, 8], [5, 6]]
    got = sess.run([total, largest, low], {ids: [0, 0, 2]})
    assert got[0].tolist() == [[4, 6], [0, 0], [5, 6]]
    assert got[1].tolist() == [[3, 4], [0, 0], [5, 6]]
    assert got[2].tolist() == [2, np.iinfo(np.int32).min]
    assert sess.run(total, {ids: [1, 1, 1]}).tolist() == [[0, 0], [9, 12]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="not increasing"):
        sess.run(total, {ids: [2, 1, 1]})


def test_scalar_mul_and_accumulate_n(sess):
    with sess.graph.as_default():
        x = tf.constant([1.0, 2.0])
        slices = tf.IndexedSlices(tf.constant([[1.0, 2.0]]), tf.constant([1]), tf.constant([3, 2]))
        scaled = tf.scalar_mul(3, slices)
        with pytest.raises(ValueError, match="Only scalar multiply"):
            tf.scalar_mul([1.0, 2.0], x)
        with pytest.raises(ValueError, match="inputs must be a list"):
            tf.accumulate_n([])
        with pytest.raises(ValueError, match="incompatible"):
            tf.accumulate_n([x, x], shape=[3])
        assert tf.accumulate_n([x]) is x
        total = tf.accumulate_n([x, x], shape=[2], tensor_dtype=tf.float32)
    assert isinstance(scaled, tf.IndexedSlices)
    got = sess.run([scaled.values, total])
    assert got[0].tolist() == [[3, 6]] and got[1].tolist() == [2, 4]


def test_gradients_of_argmax_and_round_are_none_or_zero():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3])
        g_arg = tf.gradients(tf.cast(tf.argmax(x), tf.float64) + tf.reduce_sum(x), x)[0]
        g_round = tf.gradients(tf.reduce_sum(tf.round(x)), x)[0]
        with tf.Session() as s:
            got = s.run([g_arg] + ([] if g_round is None else [g_round]), {x: [0.2, 1.7, 0.4]})
    assert got[0].tolist() == [1, 1, 1]
    if g_round is not None:
        assert got[1].tolist() == [0, 0, 0]


def test_to_dtype_shorthands():
    with tf.Graph().as_default():
        x = tf.constant([1, 2])
        outs = [tf.to_double(x), tf.to_bfloat16(x), tf.to_complex64(x), tf.to_complex128(x)]
        assert [t.dtype for t in outs] == [tf.float64, tf.bfloat16, tf.complex64, tf.complex128]
        with tf.Session() as sess:
            values = sess.run(outs)
    assert [v.tolist() for v in values] == [[1.0, 2.0], [1.0, 2.0], [1 + 0j, 2 + 0j],
                                            [1 + 0j, 2 + 0j]]
