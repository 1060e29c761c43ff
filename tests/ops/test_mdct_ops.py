"""tf.signal.mdct and inverse_mdct against TensorFlow's values (tests/fixtures/mdct_tf.py)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients

TF = np.load(pathlib.Path(__file__).parent.parent / "fixtures" / "mdct_tf.npz")


@pytest.fixture(scope="module")
def got():
    with tf.Graph().as_default():
        x = tf.constant(TF["signal"])
        m = tf.signal.mdct(x, 8)
        return tf.Session().run(
            {
                "mdct": m,
                "mdct_ortho": tf.signal.mdct(x, 8, norm="ortho"),
                "mdct_pad": tf.signal.mdct(x[:, :38], 12, pad_end=True),
                "mdct_nowindow": tf.signal.mdct(x, 8, window_fn=None),
                "inverse": tf.signal.inverse_mdct(m),
                "inverse_ortho": tf.signal.inverse_mdct(
                    tf.signal.mdct(x, 8, norm="ortho"), norm="ortho"
                ),
                "inverse_nowindow": tf.signal.inverse_mdct(m, window_fn=None),
            }
        )


@pytest.mark.parametrize(
    "key",
    [
        "mdct",
        "mdct_ortho",
        "mdct_pad",
        "mdct_nowindow",
        "inverse",
        "inverse_ortho",
        "inverse_nowindow",
    ],
)
def test_matches_tensorflow(got, key):
    assert got[key].shape == TF[key].shape
    np.testing.assert_allclose(got[key], TF[key], rtol=1e-4, atol=1e-5)


def test_perfect_reconstruction_and_gradient():
    signal = TF["signal"]
    np.testing.assert_allclose(TF["inverse"][:, 4:-4], signal[:, 4:-4], atol=1e-5)
    check_gradients(lambda s: tf.signal.mdct(s, 8), signal[0, :24].astype(np.float64))
    with tf.Graph().as_default(), pytest.raises(ValueError, match="multiple of 4"):
        tf.signal.mdct(signal, 6)
