"""Special functions and division-safe math against scipy/numpy; their gradients."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

import flowgraph as tf
from flowgraph.ops import special_math_ops as sm
from tests.gradient_checker import check_gradients
from tests.ops.test_op_table import B, check_rows_in_one_run, f32, row

OP_TYPES_TESTED = {
    "Igamma",
    "Igammac",
    "Betainc",
    "Zeta",
    "Polygamma",
    "Xlogy",
    "Xlog1py",
    "Xdivy",
    "DivNoNan",
    "MulNoNan",
    "NextAfter",
    "Erfinv",
    "Ndtri",
    "BesselI0",
    "BesselI1",
    "BesselI0e",
    "BesselI1e",
    "CumulativeLogsumexp",
}
GRADIENT_CHECKED = OP_TYPES_TESTED - {"NextAfter"}
NOT_DIFFERENTIABLE = {"NextAfter": "piecewise constant (TF1 registers no gradient)"}


def _f32(fn):
    return lambda *a: np.asarray(fn(*[np.float64(v) for v in a])).astype(np.float32)


POS = f32(B, 3, low=0.3, high=3.0)
UNIT = f32(B, 3, low=0.05, high=0.95)

ROWS = [
    row("Igamma", sm.igamma, _f32(special.gammainc), POS, POS),
    row("Igammac", sm.igammac, _f32(special.gammaincc), POS, POS),
    row("Betainc", sm.betainc, _f32(special.betainc), POS, POS, UNIT),
    row(
        "Zeta",
        lambda x, q: sm.zeta(x + 1.0, q),
        _f32(lambda x, q: special.zeta(x + 1, q)),
        POS,
        POS,
    ),
    row(
        "Polygamma",
        lambda x: sm.polygamma(tf.constant([0.0, 1.0, 3.0]), x),
        _f32(lambda x: special.polygamma([0, 1, 3], x)),
        POS,
    ),
    row(
        "Xlogy",
        lambda x, y: sm.xlogy(x * tf.cast(x > 0, tf.float32), y),
        _f32(lambda x, y: np.where(x > 0, x * np.log(y), 0)),
        f32(B, 3),
        POS,
    ),
    row("Xlog1py", sm.xlog1py, _f32(lambda x, y: x * np.log1p(y)), f32(B, 3), POS),
    row("Xdivy", sm.xdivy, _f32(lambda x, y: x / y), f32(B, 3), POS),
    row(
        "DivNoNan",
        lambda x, y: sm.div_no_nan(x, y * tf.cast(y > 1, tf.float32)),
        _f32(lambda x, y: np.where(y > 1, x / np.where(y > 1, y, 1), 0)),
        f32(B, 3),
        POS,
    ),
    row(
        "MulNoNan",
        lambda x, y: sm.multiply_no_nan(x / y, y * tf.cast(y > 1, tf.float32)),
        _f32(lambda x, y: np.where(y > 1, x, 0)),
        f32(B, 3),
        POS,
    ),
    row(
        "NextAfter",
        lambda x: sm.nextafter(x, 10.0),
        lambda x: np.nextafter(x, np.float32(10)),
        f32(B, 3),
    ),
    row("Erfinv", sm.erfinv, _f32(special.erfinv), f32(B, 3, low=-0.95, high=0.95)),
    row("Ndtri", sm.ndtri, _f32(special.ndtri), UNIT),
    row("BesselI0", sm.bessel_i0, _f32(special.i0), f32(B, 3)),
    row("BesselI1", sm.bessel_i1, _f32(special.i1), f32(B, 3)),
    row("BesselI0e", sm.bessel_i0e, _f32(special.i0e), f32(B, 3)),
    row("BesselI1e", sm.bessel_i1e, _f32(special.i1e), f32(B, 3)),
    row(
        "CumulativeLogsumexp",
        lambda x: sm.cumulative_logsumexp(x, 1),
        _f32(lambda x: np.logaddexp.accumulate(x, 1)),
        f32(B, 3),
    ),
    row(
        "CumulativeLogsumexp",
        lambda x: sm.cumulative_logsumexp(x, 0, exclusive=True, reverse=True),
        _f32(
            lambda x: np.concatenate(
                [np.logaddexp.accumulate(x[::-1], 0)[::-1][1:], np.full_like(x[:1], -np.inf)]
            )
        ),
        f32(B, 3),
        id="exclusive-reverse",
    ),
    # Composites of existing ops.
    row("Ndtri", sm.erfcinv, _f32(special.erfcinv), f32(B, 3, low=0.05, high=1.95), id="erfcinv"),
    row(
        "DivNoNan",
        sm.reciprocal_no_nan,
        _f32(lambda x: np.where(x == 0, 0, 1 / x)),
        f32(B, 3),
        id="reciprocal_no_nan",
    ),
    row(
        "Lgamma",
        sm.lbeta,
        _f32(lambda x: special.gammaln(x).sum(-1) - special.gammaln(x.sum(-1))),
        POS,
        id="lbeta",
    ),
    row(
        "Sqrt",
        lambda x: sm.reduce_euclidean_norm(x, 1),
        _f32(lambda x: np.linalg.norm(x, axis=1)),
        f32(B, 3),
        id="reduce_euclidean_norm",
    ),
    row(
        "Mul",
        lambda x: sm.polyval([2.0, -1.0, 0.5], x),
        _f32(lambda x: 2 * x * x - x + 0.5),
        f32(B, 3),
        id="polyval",
    ),
]


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


def test_table(sess):
    check_rows_in_one_run(sess, ROWS)


def test_no_nan_ops_give_zero_where_tf_does(sess):
    with sess.graph.as_default():
        x, zero = tf.constant([np.inf, np.nan, 0.0, 2.0]), tf.constant([0.0, 0.0, 0.0, 4.0])
        outs = [
            sm.div_no_nan(x, zero),
            sm.multiply_no_nan(x, zero),
            sm.xlogy(zero, x),
            sm.xdivy(zero, zero),
        ]
    got = sess.run(outs)
    np.testing.assert_array_equal(got[0], [0, 0, 0, 0.5])
    np.testing.assert_array_equal(got[1], [0, 0, 0, 8])
    np.testing.assert_array_equal(got[2][:3], [0, 0, 0])
    np.testing.assert_array_equal(got[3], [0, 0, 0, 1])


def test_unsorted_segment_mean_and_sqrt_n(sess):
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    ids = np.array([2, 0, 2, 2])
    with sess.graph.as_default():
        mean = sm.unsorted_segment_mean(data, ids, 4)
        sqrt_n = sm.unsorted_segment_sqrt_n(data, ids, 4)
    got_mean, got_sqrt_n = sess.run([mean, sqrt_n])
    sums = np.stack([data[ids == k].sum(0) for k in range(4)])
    counts = np.bincount(ids, minlength=4)[:, None]
    np.testing.assert_allclose(got_mean, sums / np.maximum(counts, 1))
    np.testing.assert_allclose(got_sqrt_n, sums / np.sqrt(np.maximum(counts, 1)), rtol=1e-6)


def _rand(*shape, low, high, seed=0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def test_special_function_gradients():
    a, x = _rand(2, 3, low=0.5, high=3), _rand(2, 3, low=0.5, high=3, seed=1)
    check_gradients(
        lambda a, x: [
            sm.igamma(a, x),
            sm.igammac(a, x),
            sm.zeta(a + 1.0, x),
            sm.xlogy(a, x),
            sm.xlog1py(a, x),
            sm.xdivy(a, x),
            sm.div_no_nan(a, x),
            sm.multiply_no_nan(a, x),
        ],
        a,
        x,
    )
    u = _rand(2, 3, low=0.1, high=0.9, seed=2)
    check_gradients(
        lambda u: [
            sm.erfinv(u),
            sm.ndtri(u),
            sm.bessel_i0(u),
            sm.bessel_i1(u),
            sm.bessel_i0e(u),
            sm.bessel_i1e(u),
        ],
        u,
    )


def test_betainc_and_polygamma_differentiate_only_in_x():
    x = _rand(2, 3, low=0.1, high=0.9)
    check_gradients(
        lambda x: [
            sm.betainc(tf.constant(2.5, tf.float64), 1.5, x),
            sm.polygamma(tf.constant([0.0, 1.0, 2.0], tf.float64), x + 1),
        ],
        x,
    )
    with tf.Graph().as_default():
        a = tf.constant([1.5], tf.float64)
        n = tf.constant([1.0], tf.float64)
        grads = tf.gradients(
            [
                sm.betainc(a, a, tf.constant([0.5], tf.float64)),
                sm.polygamma(n, tf.constant([2.0], tf.float64)),
            ],
            [a, n],
        )
    assert grads == [None, None]
