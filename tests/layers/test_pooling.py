"""Pooling layer classes (1D/2D/3D, max and average) against numpy."""

import numpy as np
import pytest

import flowgraph as tf


def _pool(x, size, reduce):
    """Non-overlapping 'valid' pooling over all spatial axes (channels last)."""
    spatial = x.shape[1:-1]
    blocks = [x.shape[0]]
    for n in spatial:
        blocks += [n // size, size]
    y = x[(slice(None),) + tuple(slice(0, n // size * size) for n in spatial)]
    y = y.reshape(*blocks, x.shape[-1])
    return reduce(y, axis=tuple(range(2, 2 * len(spatial) + 1, 2)))


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("kind,reduce", [("Max", np.max), ("Average", np.mean)])
def test_pooling_classes(rank, kind, reduce):
    x = np.random.RandomState(rank).randn(2, *[4] * rank, 3).astype(np.float32)
    layer = getattr(tf.layers, f"{kind}Pooling{rank}D")(2, 2)
    functional = getattr(tf.layers, f"{kind.lower()}_pooling{rank}d")(x, 2, 2)
    y = layer(x)
    assert y.op.name.startswith(f"{kind.lower()}_pooling{rank}d_1/")  # after the functional
    with tf.Session() as sess:
        out, out_functional = sess.run([y, functional])
    np.testing.assert_allclose(out, _pool(x, 2, reduce), rtol=1e-5)
    np.testing.assert_allclose(out_functional, out)


def test_pooling_channels_first_3d():
    x = np.random.RandomState(0).randn(1, 2, 4, 4, 4).astype(np.float32)
    y = tf.layers.MaxPooling3D(2, 2, data_format="channels_first")(x)
    with tf.Session() as sess:
        out = sess.run(y)
    expected = _pool(x.transpose(0, 2, 3, 4, 1), 2, np.max).transpose(0, 4, 1, 2, 3)
    np.testing.assert_allclose(out, expected)
