"""`tf.compat`: conversions, number type groups, `compat.v1` and forward compatibility."""

import pathlib

import numpy as np
import pytest

import flowgraph as tf


def test_compat_v1_is_flowgraph():
    assert tf.compat.v1 is tf
    assert tf.compat.v1.placeholder is tf.placeholder
    assert tf.compat.v1.train.AdamOptimizer is tf.train.AdamOptimizer
    x = tf.compat.v1.placeholder(tf.float32, [2])
    with tf.compat.v1.Session() as sess:
        np.testing.assert_allclose(sess.run(x * 2, {x: [1.0, 2.0]}), [2.0, 4.0])


def test_bytes_and_text():
    assert tf.compat.as_bytes("é") == b"\xc3\xa9"
    assert tf.compat.as_bytes(bytearray(b"ab")) == b"ab"
    assert tf.compat.as_bytes("é", "latin-1") == b"\xe9"
    assert tf.compat.as_text(b"\xc3\xa9") == "é" == tf.compat.as_str(b"\xc3\xa9")
    assert tf.compat.as_str_any(3.5) == "3.5" and tf.compat.as_str_any(b"x") == "x"
    assert tf.compat.path_to_str(pathlib.Path("/a/b")) == "/a/b"
    assert tf.compat.path_to_str(3) == 3
    for convert in (tf.compat.as_bytes, tf.compat.as_text):
        with pytest.raises(TypeError, match="Expected binary or unicode string, got 3"):
            convert(3)


def test_number_type_groups():
    assert isinstance(np.int8(1), tf.compat.integral_types)
    assert isinstance(2.5, tf.compat.real_types) and not isinstance(1j, tf.compat.real_types)
    assert isinstance(np.complex64(1j), tf.compat.complex_types)
    assert tf.compat.bytes_or_text_types == (bytes, str)


def test_dimension_helpers():
    shape = tf.TensorShape([2, None])
    assert tf.compat.dimension_value(shape[0]) == 2
    assert tf.compat.dimension_value(shape[1]) is None
    assert tf.dimension_value(4) == 4
    assert tf.dimension_at_index(shape, 0).value == 2
    assert tf.compat.dimension_at_index(tf.TensorShape(None), 5).value is None


def test_forward_compatibility():
    assert tf.compat.forward_compatible(2019, 1, 1)
    assert not tf.compat.forward_compatible(2100, 1, 1)
    with tf.compat.forward_compatibility_horizon(2101, 1, 1):
        assert tf.compat.forward_compatible(2100, 1, 1)
    assert not tf.compat.forward_compatible(2100, 1, 1)
