"""The Multinomial cases TF's draws were recorded for (`tests/fixtures/multinomial_tf.py`) and
flowgraph is checked on (`test_philox_multinomial.py`): one table, built with either `tf`."""

import numpy as np


def _logits(shape, dtype, scale=2.0, seed=0):
    return (np.random.RandomState(seed).standard_normal(shape) * scale).astype(dtype)


def cases(tf):
    """name -> (a function building the op, the graph seed or None)."""
    f32, f64 = np.float32, np.float64
    special = np.array([[0.0, -np.inf, 1.0, np.inf, 2.0], [np.nan, 0.5, 0.5, -1.0, 3.0]], f32)
    return {
        "one_sample_f32": (lambda: tf.multinomial(_logits([3, 5], f32), 1, seed=7), 42),
        "odd_samples_f32": (lambda: tf.multinomial(_logits([4, 6], f32, seed=1), 5, seed=3), 9),
        "many_samples_f64": (lambda: tf.multinomial(_logits([2, 9], f64, seed=2), 11, seed=5), 1),
        "int32_out": (
            lambda: tf.multinomial(_logits([3, 4], f32, seed=3), 6, seed=2, output_dtype=tf.int32),
            4,
        ),
        "categorical_f64": (
            lambda: tf.random.categorical(_logits([1, 30], f64, 4.0, seed=4), 8, seed=11),
            2,
        ),
        "op_seed_only": (lambda: tf.multinomial(_logits([2, 3], f32, seed=5), 4, seed=123), None),
        "large_seeds": (
            lambda: tf.multinomial(_logits([2, 7], f32, seed=6), 3, seed=2**40 + 5),
            2**35 + 3,
        ),
        "non_finite_logits": (lambda: tf.multinomial(special, 7, seed=1), 3),
        "many_rows": (lambda: tf.multinomial(_logits([40, 10], f32, seed=7), 2, seed=8), 6),
    }


# Runs big enough for TF to shard their rows over its intra-op threads: (rows, classes,
# num_samples, logits seed, op seed); recorded with a graph seed of 5 and each thread count.
SHARDED = {"rows_120": (120, 20, 5, 8, 3), "rows_64": (64, 30, 8, 9, 4)}
SHARDED_THREADS = (2, 3, 4)


def sharded_logits(name):
    rows, classes, _, seed, _ = SHARDED[name]
    return _logits([rows, classes], np.float32, 1.0, seed)
