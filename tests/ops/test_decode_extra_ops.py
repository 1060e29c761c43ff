"""decode_compressed, decode_json_example, decode_and_crop_jpeg and decode_webp, against
zlib/gzip, protobuf, Pillow and TF's behaviour."""

from __future__ import annotations

import gzip
import io
import zlib

import numpy as np
import pytest
from PIL import Image

import flowgraph as tf

OP_TYPES_TESTED = {"DecodeCompressed", "DecodeJSONExample", "DecodeAndCropJpeg", "DecodeWebP"}
NOT_DIFFERENTIABLE = {t: "byte strings in (TF: NotDifferentiable)" for t in OP_TYPES_TESTED}

PIXELS = (np.arange(4 * 5 * 3) * 7 % 256).astype(np.uint8).reshape(4, 5, 3)


def _encoded(fmt, **kwargs):
    buf = io.BytesIO()
    Image.fromarray(PIXELS).save(buf, fmt, **kwargs)
    return buf.getvalue()


def test_decode_compressed():
    with tf.Graph().as_default():
        got = tf.Session().run(
            [
                tf.io.decode_compressed([zlib.compress(b"hello"), zlib.compress(b"")], "ZLIB"),
                tf.decode_compressed(gzip.compress(b"hi"), "GZIP"),
                tf.decode_compressed(b"abc"),
            ]
        )
        bad = tf.decode_compressed(b"abc", "ZLIB")
        with pytest.raises(tf.errors.DataLossError, match="inflate"):
            tf.Session().run(bad)
        with pytest.raises(ValueError, match="compression_type"):
            tf.decode_compressed(b"abc", "BZ2")
    assert got[0].tolist() == [b"hello", b""] and got[1] == b"hi" and got[2] == b"abc"


def test_decode_json_example_matches_tf():
    text = '{"features":{"feature":{"a":{"int64List":{"value":["1","2"]}}}}}'
    with tf.Graph().as_default():
        got = tf.Session().run(tf.io.decode_json_example([text, "{}"]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="parsing JSON"):
            tf.Session().run(tf.decode_json_example('{"bad": 1}'))
    # TF 2.21's output for the same JSON (it writes the int64 list unpacked, flowgraph
    # packed: two encodings of one message).
    tf_bytes = b"\n\r\n\x0b\n\x01a\x12\x06\x1a\x04\x08\x01\x08\x02"
    assert tf.train.Example.FromString(got[0]) == tf.train.Example.FromString(tf_bytes)
    assert tf.train.Example.FromString(got[0]).features.feature["a"].int64_list.value == [1, 2]
    assert got[1] == b""


def test_decode_and_crop_jpeg_is_the_crop_of_the_decoded_image():
    data = _encoded("JPEG", quality=95)
    with tf.Graph().as_default():
        crop = tf.image.decode_and_crop_jpeg(data, [1, 2, 2, 3])
        full = tf.image.decode_jpeg(data)
        got = tf.Session().run([crop, full, tf.io.decode_and_crop_jpeg(data, [0, 0, 4, 5], 1)])
        with pytest.raises(tf.errors.InvalidArgumentError, match="crop window"):
            tf.Session().run(tf.image.decode_and_crop_jpeg(data, [1, 2, 5, 3]))
    assert got[0].shape == (2, 3, 3)
    np.testing.assert_array_equal(got[0], got[1][1:3, 2:5])
    assert got[2].shape == (4, 5, 1)


def test_decode_webp():
    lossless = _encoded("WEBP", lossless=True)
    with tf.Graph().as_default():
        got = tf.Session().run([tf.io.decode_webp(lossless), tf.image.decode_webp(lossless, 3)])
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not match"):
            tf.Session().run(tf.io.decode_webp(lossless, channels=4))
        with pytest.raises(tf.errors.InvalidArgumentError, match="not a WebP"):
            tf.Session().run(tf.io.decode_webp(_encoded("PNG")))
    assert got[0].shape == (1, 4, 5, 3) and got[0].dtype == np.uint8
    np.testing.assert_array_equal(got[0][0], PIXELS)
    np.testing.assert_array_equal(got[1], got[0])
