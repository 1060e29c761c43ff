"""The RandomGamma cases TF's samples were recorded for (`tests/fixtures/random_gamma_tf.py`)
and flowgraph is checked on (`test_philox_gamma.py`): one table, built with either `tf`."""

import numpy as np


def cases(tf):
    """name -> (a function building the op, the graph seed or None)."""
    f16, f32, f64 = np.float16, np.float32, np.float64
    return {
        "alphas_f32": (
            lambda: tf.random_gamma([5], np.array([0.5, 1.0, 2.5, 7.0], f32), seed=3),
            4,
        ),
        "alphas_2d_f64": (
            lambda: tf.random_gamma([3, 2], np.array([[0.2], [1.5]], f64), dtype=f64, seed=1),
            7,
        ),
        "scalar_alpha_beta": (lambda: tf.random_gamma([6], 0.9, beta=2.0, seed=5), 2),
        "small_alphas": (
            lambda: tf.random_gamma([40], np.array([0.05, 0.3, 1.0], f32), seed=6),
            1,
        ),
        "large_alpha_f16": (
            lambda: tf.random_gamma([7], np.array([30.0, 1.0], f16), dtype=f16, seed=2),
            3,
        ),
        "op_seed_only": (lambda: tf.random_gamma([4], 3.0, seed=123), None),
    }
