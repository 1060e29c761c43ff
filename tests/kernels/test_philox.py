"""TF's stateful random ops draw TensorFlow's numbers for the same seeds (Philox streams).

The expected values are TF 2.21's (`tests/fixtures/philox_random_tf.py`): each case ran its
op three times in one session, so the stream's advance between runs is checked too.
"""

import os

import numpy as np
import pytest

import flowgraph as tf
from tests.kernels.philox_cases import cases
from tests.kernels.seeded_runs import seeded_runs

TF_VALUES = np.load(
    os.path.join(os.path.dirname(__file__), "..", "fixtures", "philox_random_tf.npz")
)

CASES = cases(tf)


def _plain(value):
    """bfloat16 and float16 as float32 (numpy casts bfloat16 only to float32)."""
    return value.astype(np.float32) if value.dtype.kind == "V" or value.itemsize == 2 else value


@pytest.mark.parametrize("name", sorted(CASES))
def test_three_runs_draw_tensorflows_numbers(name):
    build, graph_seed = CASES[name]
    runs = seeded_runs(tf, build, graph_seed)
    runs = np.stack([_plain(r) for r in runs]).astype(TF_VALUES[name].dtype)
    expected = TF_VALUES[name]
    if expected.dtype.kind == "f":
        # float16/bfloat16 values are exact too; float32 math (log, sin) may differ in an ulp.
        np.testing.assert_allclose(runs, expected, rtol=2e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(runs, expected)


def test_a_new_session_restarts_the_stream_and_unseeded_sessions_differ():
    with tf.Graph().as_default():
        tf.set_random_seed(42)
        seeded = tf.random_uniform([3, 5], seed=7)
        fresh = tf.random_normal([8])
        values = []
        for _ in range(2):
            with tf.Session() as sess:
                values.append(sess.run([seeded, fresh]))
    np.testing.assert_array_equal(values[0][0], values[1][0])
    np.testing.assert_allclose(values[0][0], TF_VALUES["uniform_f32"][0], rtol=2e-6)
    # the graph seed also seeds the unseeded op (from the op count): same in both sessions
    np.testing.assert_array_equal(values[0][1], values[1][1])
    with tf.Graph().as_default():
        t = tf.random_normal([8])  # no seed at all: a fresh stream per session
        draws = []
        for _ in range(2):
            with tf.Session() as sess:
                draws.append(sess.run(t))
    assert not np.array_equal(draws[0], draws[1])


def test_random_ops_inside_a_loop_body_still_draw_fresh_numbers_each_iteration():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        _, acc = tf.while_loop(
            lambda i, a: i < 4,
            lambda i, a: (i + 1, a.write(i, tf.random_uniform([2], seed=1))),
            [0, tf.TensorArray(tf.float32, 4)],
        )
        rows = acc.stack()
        with tf.Session() as sess:
            values = sess.run(rows)
    assert values.shape == (4, 2) and len({tuple(r) for r in values}) == 4
    assert ((values >= 0) & (values < 1)).all()
