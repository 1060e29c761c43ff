"""`tf.nn.pool` with `dilation_rate` > 1 against a direct numpy loop over dilated windows:
1-D, 2-D and 3-D, MAX and AVG, channels last and first, known and unknown shapes."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients


def np_dilated_pool(x, window, rate, kind):
    """VALID pooling of channels-last `x` whose windows take every `rate`-th element."""
    n = len(window)
    extent = [r * (w - 1) + 1 for w, r in zip(window, rate)]
    out_shape = [s - e + 1 for s, e in zip(x.shape[1 : n + 1], extent)]
    out = np.zeros((x.shape[0], *out_shape, x.shape[-1]), x.dtype)
    reduce = np.max if kind == "MAX" else np.mean
    for idx in np.ndindex(*out_shape):
        window_slices = tuple(slice(i, i + e, r) for i, e, r in zip(idx, extent, rate))
        patch = x[(slice(None), *window_slices, slice(None))]
        out[(slice(None), *idx, slice(None))] = reduce(patch, axis=tuple(range(1, n + 1)))
    return out


def distinct(*shape, seed=0):
    """Distinct values (no ties, so max pooling has one gradient path per window)."""
    values = np.random.RandomState(seed).permutation(int(np.prod(shape))).astype(np.float32)
    return (values / values.size - 0.5).reshape(shape)


def run(fn, *args, feed=None):
    with tf.Graph().as_default() as g:
        out = fn(*args)
        with tf.Session(graph=g) as sess:
            return sess.run(out, feed)


CASES = [  # (input shape channels last, window, rate)
    ((2, 9, 3), [3], [2]),
    ((1, 8, 2), [2], [3]),
    ((2, 7, 6, 2), [2, 3], [2, 1]),
    ((1, 8, 9, 1), [3, 2], [3, 2]),
    ((1, 5, 6, 7, 2), [2, 2, 3], [2, 3, 2]),
]


@pytest.mark.parametrize("kind", ["MAX", "AVG"])
@pytest.mark.parametrize("shape, window, rate", CASES)
def test_dilated_pool_matches_numpy(shape, window, rate, kind):
    x = distinct(*shape)
    out = run(lambda: tf.nn.pool(x, window, kind, "VALID", dilation_rate=rate))
    np.testing.assert_allclose(out, np_dilated_pool(x, window, rate, kind), rtol=1e-6)


@pytest.mark.parametrize("kind", ["MAX", "AVG"])
@pytest.mark.parametrize(
    "shape, window, rate", [((2, 7, 3), [3], [2]), ((2, 7, 8, 3), [2, 3], [3, 2])]
)
def test_dilated_pool_channels_first(shape, window, rate, kind):
    x = distinct(*shape)
    fmt = {1: "NCW", 2: "NCHW"}[len(rate)]
    first = np.moveaxis(x, -1, 1)
    out = run(lambda: tf.nn.pool(first, window, kind, "VALID", dilation_rate=rate, data_format=fmt))
    expected = np_dilated_pool(x, window, rate, kind)
    np.testing.assert_allclose(out, np.moveaxis(expected, -1, 1), rtol=1e-6)


def test_dilated_pool_with_unknown_spatial_shape():
    x = distinct(2, 7, 5, 1)

    def build():
        p = tf.placeholder(tf.float32, [None, None, None, 1])
        return tf.nn.pool(p, [2, 2], "MAX", "VALID", dilation_rate=[3, 2]), p

    with tf.Graph().as_default() as g:
        out, p = build()
        assert out.shape.as_list()[-1] == 1
        with tf.Session(graph=g) as sess:
            for size in (x, x[:, :6, :4]):  # two spatial shapes: two different paddings
                expected = np_dilated_pool(size, [2, 2], [3, 2], "MAX")
                np.testing.assert_allclose(sess.run(out, {p: size}), expected)


def test_dilated_pool_static_shape():
    with tf.Graph().as_default():
        out = tf.nn.pool(tf.zeros([2, 9, 10, 3]), [2, 3], "AVG", "VALID", dilation_rate=[2, 3])
        assert out.shape.as_list() == [2, 7, 4, 3]


def test_dilated_pool_errors_as_tf():
    x = np.zeros([1, 6, 1], np.float32)
    with pytest.raises(ValueError, match="SAME padding is not implemented for dilation_rate > 1"):
        run(lambda: tf.nn.pool(x, [2], "MAX", "SAME", dilation_rate=[2]))
    with pytest.raises(ValueError, match="strides > 1 not supported in conjunction"):
        run(lambda: tf.nn.pool(x, [2], "AVG", "VALID", dilation_rate=[2], strides=[2]))
    with pytest.raises(ValueError, match="dilation_rate must be positive"):
        run(lambda: tf.nn.pool(x, [2], "AVG", "VALID", dilation_rate=[0]))


@pytest.mark.parametrize("kind", ["MAX", "AVG"])
def test_dilated_pool_gradients(kind):
    check_gradients(
        lambda x: tf.nn.pool(x, [2, 2], kind, "VALID", dilation_rate=[2, 3]), distinct(1, 5, 7, 2)
    )
    check_gradients(
        lambda x: tf.nn.pool(x, [3], kind, "VALID", dilation_rate=[2]), distinct(2, 8, 1)
    )
