"""The stateful random cases TF's values were recorded for (`tests/fixtures/philox_random_tf.py`)
and flowgraph is checked on (`test_philox.py`): one table, built with either `tf` module."""


def cases(tf):
    """name -> (a function building the op, the graph seed or None)."""
    return {
        "uniform_f32": (lambda: tf.random_uniform([3, 5], seed=7), 42),
        "uniform_f32_range": (lambda: tf.random_uniform([7], -2.0, 3.0, seed=11), 1),
        "uniform_f64": (lambda: tf.random_uniform([5], dtype=tf.float64, seed=7), 42),
        "uniform_f16": (lambda: tf.random_uniform([6], dtype=tf.float16, seed=3), 5),
        "uniform_bf16": (lambda: tf.random_uniform([6], dtype=tf.bfloat16, seed=3), 5),
        "uniform_int32": (lambda: tf.random_uniform([9], -5, 17, dtype=tf.int32, seed=2), 9),
        "uniform_int64": (lambda: tf.random_uniform([5], -3, 1000, dtype=tf.int64, seed=2), 9),
        "normal_f32": (lambda: tf.random_normal([2, 7], seed=7), 42),
        "normal_f32_moments": (lambda: tf.random_normal([3], 2.0, 0.5, seed=1), 3),
        "normal_f64": (lambda: tf.random_normal([5], dtype=tf.float64, seed=4), 8),
        "normal_f16": (lambda: tf.random_normal([5], dtype=tf.float16, seed=4), 8),
        "truncated_f32": (lambda: tf.truncated_normal([4, 5], seed=2), 1),
        "truncated_f64": (lambda: tf.truncated_normal([5], dtype=tf.float64, seed=2), 1),
        "op_seed_only": (lambda: tf.random_uniform([4], seed=123), None),
        "large_seeds": (lambda: tf.random_normal([4], seed=2**40 + 5), 2**35 + 3),
        "glorot": (lambda: tf.glorot_uniform_initializer(seed=4)([2, 3]), 1),
        "truncated_init": (lambda: tf.truncated_normal_initializer(0.0, 0.1, seed=5)([6]), 1),
    }
