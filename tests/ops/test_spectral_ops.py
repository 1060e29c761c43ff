"""FFT and complex-number ops against numpy: values, dtypes, inferred shapes and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients
from tests.ops import test_op_table as table
from tests.ops.test_op_table import B, In, f32, row

OP_TYPES_TESTED = {"FFT", "IFFT", "FFT2D", "IFFT2D", "FFT3D", "IFFT3D", "RFFT", "IRFFT",
                   "Complex", "Real", "Imag", "Conj", "Angle"}
GRADIENT_CHECKED = set(OP_TYPES_TESTED)
NOT_DIFFERENTIABLE: dict[str, str] = {}


def c64(*shape) -> In:
    return In(shape, np.complex64)


def c128(*shape) -> In:
    return In(shape, np.complex128)


def _c64(f):
    return lambda x: f(x).astype(np.complex64)


ROWS = [
    row("FFT", tf.fft, _c64(np.fft.fft), c64(B, 4)),
    row("FFT", tf.signal.fft, np.fft.fft, c128(B, 3), id="complex128"),
    row("IFFT", tf.spectral.ifft, _c64(np.fft.ifft), c64(B, 4)),
    row("FFT2D", tf.fft2d, _c64(np.fft.fft2), c64(B, 2, 3)),
    row("IFFT2D", tf.signal.ifft2d, _c64(np.fft.ifft2), c64(B, 3, 2)),
    row("FFT3D", tf.fft3d, _c64(lambda x: np.fft.fftn(x, axes=(-3, -2, -1))), c64(2, B, 2, 3)),
    row("IFFT3D", tf.ifft3d, _c64(lambda x: np.fft.ifftn(x, axes=(-3, -2, -1))),
        c64(2, 2, 2)),
    row("RFFT", tf.signal.rfft, _c64(np.fft.rfft), f32(B, 5), dtype=np.complex64),
    row("RFFT", lambda x: tf.spectral.rfft(x, [4]), _c64(lambda x: np.fft.rfft(x, 4)),
        f32(B, 6), dtype=np.complex64, id="cropped"),
    row("RFFT", lambda x: tf.spectral.rfft(x, [8]), _c64(lambda x: np.fft.rfft(x, 8)),
        f32(B, 3), dtype=np.complex64, id="padded"),
    row("IRFFT", tf.signal.irfft, lambda x: np.fft.irfft(x).astype(np.float32), c64(B, 3),
        dtype=np.float32),
    row("IRFFT", lambda x: tf.spectral.irfft(x, [5]),
        lambda x: np.fft.irfft(x, 5).astype(np.float32), c64(B, 4), dtype=np.float32,
        id="odd-length"),
    row("Complex", tf.complex, lambda a, b: (a + 1j * b).astype(np.complex64), f32(B, 3),
        f32(3), dtype=np.complex64),
    row("Real", tf.real, lambda x: x.real, c64(B, 3), dtype=np.float32),
    row("Imag", tf.imag, lambda x: x.imag, c128(B, 3), dtype=np.float64),
    row("Conj", tf.conj, np.conj, c64(B, 3)),
    row("Angle", tf.angle, np.angle, c64(B, 3), dtype=np.float32),
]


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


@pytest.mark.parametrize("r", ROWS, ids=table._ids(ROWS))
def test_row(r, sess):
    table.test_row(r, sess)


def test_real_inputs_and_edge_cases():
    x = np.array([-1.5, 0.0, 2.0], np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:
        t = tf.constant(x)
        assert tf.real(t) is t and tf.conj(t) is t
        ops = [tf.imag(t), tf.angle(t), tf.complex(np.inf, [np.nan, 1.0]),
               tf.fft(tf.zeros([2, 0], tf.complex64)), tf.complex(1.0, 2.0, name="c")]
        assert ops[-1].op.name == "c" and ops[-1].dtype == tf.complex64
        assert tf.complex(np.float64(1), np.float64(2)).dtype == tf.complex128
        got = sess.run(ops)
    np.testing.assert_array_equal(got[0], np.zeros(3, np.float32))
    np.testing.assert_array_equal(got[1], np.zeros(3, np.float32))  # TF1: zeros for reals
    assert got[2][0].real == np.inf and np.isnan(got[2][0].imag) and got[2][1] == np.inf + 1j
    assert got[3].shape == (2, 0) and got[3].dtype == np.complex64


def test_type_errors_name_the_op():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="FFT"):
            tf.fft(tf.zeros([4]))
        with pytest.raises(TypeError, match="incorrect types"):
            tf.complex(tf.zeros([2]), tf.zeros([2], tf.float64))
        with pytest.raises(TypeError, match="IRFFT"):
            tf.signal.irfft(tf.zeros([4]))
        with pytest.raises(ValueError, match="FFT2D"):
            tf.fft2d(tf.zeros([4], tf.complex64))


def _rand(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape)


def _crand(*shape, seed=0):
    return _rand(*shape, seed=seed) + 1j * _rand(*shape, seed=seed + 1)


GRADIENT_CASES = [
    ("FFT", tf.fft, [_crand(2, 3)]),
    ("IFFT", tf.ifft, [_crand(3)]),
    ("FFT2D", tf.fft2d, [_crand(2, 2)]),
    ("IFFT2D", tf.ifft2d, [_crand(2, 2)]),
    ("FFT3D", tf.fft3d, [_crand(1, 2, 2)]),
    ("IFFT3D", tf.ifft3d, [_crand(2, 1, 2)]),
    ("RFFT", lambda x: tf.spectral.rfft(x, [5]), [_rand(4).astype(np.float32)]),
    ("IRFFT", lambda x: tf.spectral.irfft(x, [4]), [_crand(3).astype(np.complex64)]),
    ("Complex", tf.complex, [_rand(2), _rand(2, seed=3)]),
    ("Real", tf.real, [_crand(3)]),
    ("Imag", tf.imag, [_crand(3)]),
    ("Conj", tf.conj, [_crand(3)]),
    ("Angle", tf.angle, [_crand(3)]),
]


@pytest.mark.parametrize("op_type,fn,values", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_gradient(op_type, fn, values):
    check_gradients(fn, *values)


def test_gradient_of_a_real_loss_through_complex_parts_matches_tf():
    # TF: d|z|²/dz (a real loss of a complex z) is 2z, as dL/dRe + 1j * dL/dIm.
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    with tf.Graph().as_default(), tf.Session() as sess:
        t = tf.constant(z)
        loss = tf.reduce_sum(tf.real(t) ** 2 + tf.imag(t) ** 2)
        np.testing.assert_allclose(sess.run(tf.gradients(loss, t)[0]), 2 * z)
