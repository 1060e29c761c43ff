"""tf.signal framing, windows, STFTs, DCTs, mel matrices and MFCCs against TF's values
(tests/fixtures/signal_tf.npz, written by tests/fixtures/signal_tf.py); gradients."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import signal_ops as sig
from tests.gradient_checker import check_gradients

TF = np.load(pathlib.Path(__file__).parent.parent / "fixtures" / "signal_tf.npz")

CASES = {
    "frame": lambda x, m: sig.frame(x, 8, 5),
    "frame_pad_end": lambda x, m: sig.frame(x, 8, 5, pad_end=True, pad_value=-1.0),
    "frame_axis0": lambda x, m: sig.frame(tf.transpose(x), 7, 9, axis=0),
    "overlap_and_add": lambda x, m: sig.overlap_and_add(tf.reshape(x[:, :48], [2, 6, 8]), 5),
    "hann": lambda x, m: sig.hann_window(10),
    "hann_symmetric": lambda x, m: sig.hann_window(9, periodic=False),
    "hann_odd_periodic": lambda x, m: sig.hann_window(9),
    "hamming": lambda x, m: sig.hamming_window(12),
    "kaiser": lambda x, m: sig.kaiser_window(11, beta=6.0),
    "kbd": lambda x, m: sig.kaiser_bessel_derived_window(10),
    "vorbis": lambda x, m: sig.vorbis_window(8),
    "stft": lambda x, m: sig.stft(x, 16, 6),
    "stft_pad_end": lambda x, m: sig.stft(x, 10, 4, fft_length=16, pad_end=True),
    "inverse_stft": lambda x, m: sig.inverse_stft(
        sig.stft(x, 16, 6), 16, 6, window_fn=sig.inverse_stft_window_fn(6)
    ),
    "mel": lambda x, m: sig.linear_to_mel_weight_matrix(10, 33, 16000, 20.0, 7000.0),
    "mfccs": lambda x, m: sig.mfccs_from_log_mel_spectrograms(m),
    "dct2": lambda x, m: sig.dct(x),
    "dct2_ortho": lambda x, m: sig.dct(x, norm="ortho"),
    "dct3": lambda x, m: sig.dct(x, type=3),
    "idct": lambda x, m: sig.idct(sig.dct(x)),
    "fftshift": lambda x, m: sig.fftshift(x),
    "ifftshift": lambda x, m: sig.ifftshift(x[:, :7], axes=1),
}


@pytest.fixture(scope="module")
def results():
    with tf.Graph().as_default():
        x, m = tf.constant(TF["signal"]), tf.constant(TF["log_mel"])
        built = {k: fn(x, m) for k, fn in CASES.items()}
        fed = tf.placeholder(tf.float32, [None, None])
        dynamic = sig.frame(fed, 8, 5, pad_end=True, pad_value=-1.0)
        with tf.Session() as sess:
            got = sess.run(built)
            got["dynamic"] = sess.run(dynamic, {fed: TF["signal"]})
    return got


@pytest.mark.parametrize("key", sorted(CASES))
def test_matches_tf(results, key):
    got, expected = results[key], TF[key]
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5)


def test_frame_of_a_fed_signal(results):
    np.testing.assert_array_equal(results["dynamic"], TF["frame_pad_end"])


def test_inverse_stft_reconstructs_the_inner_samples(results):
    np.testing.assert_allclose(
        results["inverse_stft"][:, 16:-16],
        TF["signal"][:, 16 : results["inverse_stft"].shape[1] - 16],
        atol=1e-5,
    )


def test_unsupported_dct_arguments_raise():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="types 2 and 3"):
            sig.dct(tf.zeros([4]), type=1)


OP_TYPES_TESTED = {"RFFT2D", "IRFFT2D", "RFFT3D", "IRFFT3D"}
GRADIENT_CHECKED = OP_TYPES_TESTED


def test_real_ffts_over_two_and_three_dimensions():
    x = np.random.default_rng(3).normal(size=(2, 4, 6, 5))
    with tf.Graph().as_default():
        spectrum2, spectrum3 = sig.rfft2d(x, [4, 8]), sig.rfft3d(x, [3, 6, 4])
        outs = [
            spectrum2,
            spectrum3,
            sig.irfft2d(sig.rfft2d(x), [6, 5]),
            sig.irfft3d(spectrum3, [3, 6, 4]),
        ]
        with tf.Session() as sess:
            got = sess.run(outs)
    np.testing.assert_allclose(got[0], np.fft.rfftn(x, s=[4, 8], axes=(-2, -1)), atol=1e-10)
    np.testing.assert_allclose(got[1], np.fft.rfftn(x, s=[3, 6, 4], axes=(-3, -2, -1)), atol=1e-10)
    np.testing.assert_allclose(got[2], x, atol=1e-10)
    np.testing.assert_allclose(
        got[3],
        np.fft.irfftn(
            np.fft.rfftn(x, s=[3, 6, 4], axes=(-3, -2, -1)), s=[3, 6, 4], axes=(-3, -2, -1)
        ),
        atol=1e-10,
    )
    assert got[0].dtype == np.complex128 and got[2].dtype == np.float64


def test_gradients():
    x = np.random.default_rng(1).uniform(-1, 1, (2, 12))
    check_gradients(
        lambda x: [
            sig.frame(x, 4, 3),
            sig.overlap_and_add(tf.reshape(x, [2, 3, 4]), 2),
            tf.abs(sig.stft(x, 4, 2)),
            sig.dct(x, norm="ortho"),
            tf.abs(sig.rfft2d(x, [2, 6])),
            tf.abs(sig.rfft3d(x[None], [1, 2, 8])),
            sig.irfft2d(tf.complex(x, x), [2, 10]),
            sig.irfft3d(tf.complex(x, -x)[None], [1, 2, 12]),
        ],
        x,
    )
