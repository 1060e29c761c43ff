"""PNG encoding byte for byte as TensorFlow's (a fixture written by TensorFlow itself)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import flowgraph as tf
from kernels import png

_FIXTURE = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "png_encodings.npz")
ENCODINGS = sorted(k for k in _FIXTURE.files if k.startswith("png/"))


def _case(key: str):
    _, name, level = key.split("/")
    return _FIXTURE[f"image/{name}"], int(level), _FIXTURE[key].tobytes()


@pytest.mark.parametrize("key", ENCODINGS)
def test_encode_is_byte_identical_to_tensorflows(key):
    image, level, want = _case(key)
    assert png.encode(image, level) == want


@pytest.mark.parametrize("name", ["u16c2_noise", "u16c3_ramp", "u16c4_noise", "u8c4_ramp"])
def test_encode_png_op_writes_tensorflows_bytes(name):
    image, level, want = _case(f"png/{name}/-1")
    with tf.Graph().as_default(), tf.Session() as sess:
        assert sess.run(tf.image.encode_png(image)) == want


def test_big_images_span_several_idat_chunks():
    image, level, want = _case("png/u16c4_big/0")  # stored blocks, over 16 KiB
    assert want.count(b"IDAT") > 2 and png.encode(image, level) == want
