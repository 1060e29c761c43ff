"""tf.image.adjust_jpeg_quality and random_jpeg_quality: shapes, dtypes, and artifacts that
grow as the quality falls."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"EncodeJpegVariableQuality"}
NOT_DIFFERENTIABLE = {"EncodeJpegVariableQuality": "uint8 in, bytes out (TF: NotDifferentiable)"}

Y, X = np.mgrid[0:32, 0:32]
IMAGE = np.stack([(Y * 8) % 256, (X * 8) % 256, ((X + Y) * 4) % 256], -1).astype(np.uint8)


def _error(a, b):
    return np.abs(a.astype(np.float64) - b.astype(np.float64)).mean()


def test_adjust_jpeg_quality():
    with tf.Graph().as_default():
        quality = tf.placeholder(tf.int32, [])
        adjusted = tf.image.adjust_jpeg_quality(IMAGE, quality)
        floats = tf.image.adjust_jpeg_quality(IMAGE.astype(np.float32) / 255, 90)
        gray = tf.image.adjust_jpeg_quality(IMAGE[..., :1], 50)
        assert adjusted.shape.as_list() == [None, None, 3] and adjusted.dtype == tf.uint8
        with tf.Session() as sess:
            errors = [_error(sess.run(adjusted, {quality: q}), IMAGE) for q in (100, 60, 10)]
            got_floats, got_gray = sess.run([floats, gray])
            with pytest.raises(tf.errors.InvalidArgumentError, match="quality"):
                sess.run(adjusted, {quality: 101})
    assert errors[0] < 2 and errors[0] < errors[1] < errors[2]
    assert got_floats.dtype == np.float32 and 0 <= got_floats.min() and got_floats.max() <= 1
    assert _error(got_floats * 255, IMAGE) < 6
    assert got_gray.shape == (32, 32, 1)


def test_random_jpeg_quality():
    with tf.Graph().as_default():
        out = tf.image.random_jpeg_quality(IMAGE, 5, 95, seed=3)
        with tf.Session() as sess:
            results = [sess.run(out) for _ in range(4)]
        with pytest.raises(ValueError, match="between 0 and 100"):
            tf.image.random_jpeg_quality(IMAGE, 5, 101)
        with pytest.raises(ValueError, match="less than"):
            tf.image.random_jpeg_quality(IMAGE, 50, 50)
    assert all(r.shape == IMAGE.shape for r in results)
    assert len({r.tobytes() for r in results}) > 1  # a new quality each run
