"""tf.nn.fractional_max_pool / fractional_avg_pool: pooling over TF's sequences against TF's
values (tests/fixtures/fractional_pool_tf.npz, written by tests/fixtures/fractional_pool_tf.py),
the gradient ops against TF's gradients, TF's sequence rules, and finite differences."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework.ops import apply_op
from kernels import fractional_pool
from tests.gradient_checker import check_gradients

OP_TYPES = {
    "FractionalMaxPool",
    "FractionalAvgPool",
    "FractionalMaxPoolGrad",
    "FractionalAvgPoolGrad",
}
OP_TYPES_TESTED = OP_TYPES
GRADIENT_CHECKED = OP_TYPES

TF = np.load(pathlib.Path(__file__).parent.parent / "fixtures" / "fractional_pool_tf.npz")
KEYS = sorted(k[: -len("_overlapping")] for k in TF.files if k.endswith("_overlapping"))


def _overlapping(key: str) -> bool:
    return bool(TF[key + "_overlapping"])


def _reference(x, rows, cols, overlapping, reduce):
    """numpy: `reduce` over each region, as TF's loops bound them."""
    out = np.zeros((x.shape[0], len(rows) - 1, len(cols) - 1, x.shape[3]), x.dtype)
    for i in range(len(rows) - 1):
        r_end = min(rows[i + 1] + (0 if overlapping else -1), x.shape[1] - 1)
        for j in range(len(cols) - 1):
            c_end = min(cols[j + 1] + (0 if overlapping else -1), x.shape[2] - 1)
            out[:, i, j] = reduce(x[:, rows[i] : r_end + 1, cols[j] : c_end + 1], axis=(1, 2))
    return out


@pytest.mark.parametrize("key", KEYS)
def test_pooling_over_tfs_sequences_is_tfs(key):
    x, rows, cols, overlapping = (
        TF[key + "_x"],
        TF[key + "_rows"],
        TF[key + "_cols"],
        (_overlapping(key)),
    )
    pool = fractional_pool.max_pool if key.endswith("max") else fractional_pool.avg_pool
    got = np.asarray(pool(x, rows, cols, overlapping))
    np.testing.assert_allclose(got, TF[key + "_out"], rtol=1e-6, atol=1e-6)
    reduce = np.max if key.endswith("max") else np.mean
    np.testing.assert_allclose(
        got, _reference(x, rows, cols, overlapping, reduce), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("key", KEYS)
def test_gradient_ops_on_tfs_sequences_are_tfs(key):
    x, rows, cols, w = (TF[key + s] for s in ("_x", "_rows", "_cols", "_w"))
    with tf.Graph().as_default():
        if key.endswith("max"):
            inputs = [x, TF[key + "_out"], w, rows, cols]
            grad = apply_op(
                "FractionalMaxPoolGrad",
                [tf.constant(v) for v in inputs],
                overlapping=_overlapping(key),
                T=np.dtype(np.float32),
            )
        else:
            inputs = [np.asarray(x.shape, np.int64), w, rows, cols]
            grad = apply_op(
                "FractionalAvgPoolGrad",
                [tf.constant(v) for v in inputs],
                overlapping=_overlapping(key),
                T=np.dtype(np.float32),
            )
        assert grad.shape.as_list() == list(x.shape)
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(grad), TF[key + "_grad"], rtol=1e-5, atol=1e-6)


def _check_sequence(seq, size, out):
    steps = np.diff(seq)
    assert seq.dtype == np.int64 and seq[0] == 0 and seq[-1] == size and len(seq) == out + 1
    assert set(steps) <= {size // out, size // out + 1}


@pytest.mark.parametrize("pseudo_random", [False, True])
@pytest.mark.parametrize("fn", [tf.nn.fractional_max_pool, tf.nn.fractional_avg_pool])
def test_sequences_follow_tfs_rules(fn, pseudo_random):
    x = TF["random_max_x"]  # [2, 9, 11, 3]
    with tf.Graph().as_default():
        out, rows, cols = fn(x, [1.0, 1.44, 1.73, 1.0], pseudo_random, False, seed=3)
        fixed = fn(x, [1.0, 1.44, 1.73, 1.0], pseudo_random, True, True, seed=3)
        assert out.shape.as_list() == [2, 6, 6, 3]
        with tf.Session() as sess:
            runs = [sess.run([out, rows, cols]) for _ in range(6)]
            fixed_runs = [sess.run(fixed) for _ in range(3)]
    for value, r, c in runs:
        _check_sequence(r, 9, 6)
        _check_sequence(c, 11, 6)
        reduce = np.max if fn is tf.nn.fractional_max_pool else np.mean
        np.testing.assert_allclose(value, _reference(x, r, c, False, reduce), rtol=1e-6, atol=1e-6)
    assert len({(r.tobytes(), c.tobytes()) for _, r, c in runs}) > 1  # a new draw each run
    for value, r, c in fixed_runs[1:]:  # deterministic: the same regions every run
        np.testing.assert_array_equal(r, fixed_runs[0][1])
        np.testing.assert_array_equal(c, fixed_runs[0][2])
        np.testing.assert_array_equal(value, fixed_runs[0][0])


def test_integer_input_and_divisible_sizes():
    x = np.arange(2 * 8 * 6 * 1, dtype=np.int32).reshape(2, 8, 6, 1) - 40
    with tf.Graph().as_default():
        avg, rows, cols = tf.nn.fractional_avg_pool(x, [1.0, 2.0, 1.5, 1.0], seed=1)
        top = tf.nn.fractional_max_pool(x, [1.0, 2.0, 1.5, 1.0], seed=1)
        with tf.Session() as sess:
            avg, rows, cols, top = sess.run([avg, rows, cols, top])
    np.testing.assert_array_equal(rows, [0, 2, 4, 6, 8])  # 8 / 4: every step is 2
    _check_sequence(cols, 6, 4)
    trunc_mean = lambda v, axis: np.fix(v.sum(axis=axis) / np.prod([v.shape[a] for a in axis]))
    np.testing.assert_array_equal(avg, _reference(x, rows, cols, False, trunc_mean))
    assert avg.dtype == np.int32 and top[0].dtype == np.int32


def test_errors_name_the_op():
    x = np.zeros((2, 7, 9, 3), np.float32)
    with tf.Graph().as_default():
        channels = tf.nn.fractional_max_pool(x, [1.0, 1.5, 1.5, 2.0])
        too_big = tf.nn.fractional_avg_pool(x, [1.0, 10.0, 1.5, 1.0])
        with tf.Session() as sess:
            with pytest.raises(tf.errors.UnimplementedError, match="batch nor channel"):
                sess.run(channels)
            with pytest.raises(
                tf.errors.InvalidArgumentError,
                match="Pooling ratio is higher than input dimension size",
            ):
                sess.run(too_big)


@pytest.mark.parametrize("overlapping", [False, True])
@pytest.mark.parametrize("fn", [tf.nn.fractional_max_pool, tf.nn.fractional_avg_pool])
def test_gradients_match_finite_differences(fn, overlapping):
    x = np.random.default_rng(1).permutation(5 * 7 * 2).reshape(1, 5, 7, 2) / 16.0
    check_gradients(lambda v: fn(v, [1.0, 1.4, 1.6, 1.0], True, overlapping, True, seed=4)[0], x)


def test_gradient_ops_gradients_match_finite_differences():
    x, rows, cols = TF["overlap_max_x"], TF["overlap_max_rows"], TF["overlap_max_cols"]
    out = TF["overlap_max_out"]
    check_gradients(
        lambda g: apply_op(
            "FractionalMaxPoolGrad",
            [tf.constant(x), tf.constant(out), g, tf.constant(rows), tf.constant(cols)],
            overlapping=True,
            T=np.dtype(np.float32),
        ),
        TF["overlap_max_w"],
    )
    check_gradients(
        lambda g: apply_op(
            "FractionalAvgPoolGrad",
            [tf.constant(np.asarray(x.shape, np.int64)), g, tf.constant(rows), tf.constant(cols)],
            overlapping=True,
            T=np.dtype(np.float32),
        ),
        TF["overlap_avg_w"],
    )
