"""tf.image.ssim_multiscale against TensorFlow's values."""

from __future__ import annotations

import numpy as np

import flowgraph as tf
from tests.gradient_checker import check_gradients

RNG = np.random.default_rng(0)
A = RNG.uniform(0, 1, (2, 33, 30, 3)).astype(np.float32)
B = np.clip(A + RNG.normal(0, 0.1, A.shape), 0, 1).astype(np.float32)


def test_matches_tensorflow():
    with tf.Graph().as_default():
        got = tf.Session().run(
            [
                tf.image.ssim_multiscale(A, B, 1.0, power_factors=(0.3, 0.3, 0.4), filter_size=5),
                tf.image.ssim_multiscale(
                    A[:, :32, :24],
                    B[:, :32, :24],
                    1.0,
                    power_factors=(0.5, 0.5),
                    filter_size=3,
                    filter_sigma=1.0,
                ),
                tf.image.ssim_multiscale(
                    (A * 255).astype(np.uint8),
                    (B * 255).astype(np.uint8),
                    255,
                    power_factors=(0.3, 0.3, 0.4),
                    filter_size=5,
                ),
                tf.image.ssim_multiscale(A, A, 1.0, power_factors=(0.5, 0.5), filter_size=5),
            ]
        )
    # TF 2.21's tf.image.ssim_multiscale on the same inputs (odd sizes exercise the padding).
    np.testing.assert_allclose(got[0], [0.94431645, 0.9441841], rtol=1e-5)
    np.testing.assert_allclose(got[1], [0.9377871, 0.9383045], rtol=1e-5)
    np.testing.assert_allclose(got[2], [0.9442222, 0.9440406], rtol=1e-5)
    np.testing.assert_allclose(got[3], [1.0, 1.0], rtol=1e-6)


def test_gradient():
    a = A[0, :12, :12, :1].astype(np.float64)
    check_gradients(
        lambda t: tf.image.ssim_multiscale(
            t, B[0, :12, :12, :1], 1.0, power_factors=(0.5, 0.5), filter_size=3
        ),
        a,
        atol=1e-3,
        rtol=1e-3,
    )
