"""tf.random.Generator (graph mode), create_rng_state, the global generator and the
stateless dropouts of tf.nn.experimental."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf


def test_create_rng_state_matches_tf():
    # TensorFlow's values (tf.random.create_rng_state in TF 2.21).
    assert tf.random.create_rng_state(1, "philox").tolist() == [1, 0, 0]
    assert tf.random.create_rng_state([1, 2], "philox").tolist() == [0, 1, 2]
    assert tf.random.create_rng_state(12345678901234, "threefry").tolist() == [12345678901234, 0]
    assert tf.random.create_rng_state(5, tf.random.Algorithm.PHILOX).tolist() == [5, 0, 0]
    assert tf.random.create_rng_state(2**64 + 3, 1).tolist() == [3, 1, 0]
    assert tf.random.create_rng_state(-1, "philox").tolist() == [-1, -1, -1]
    assert [a.value for a in tf.random.Algorithm] == [1, 2, 3]
    with pytest.raises(ValueError, match="unsupported value"):
        tf.random.create_rng_state(1, "mt19937")


def _draws(seed, runs=2):
    with tf.Graph().as_default():
        g = tf.random.Generator.from_seed(seed)
        x = g.normal([2000])
        u = g.uniform([3], minval=2, maxval=5, dtype=tf.int32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return [sess.run([x, u]) for _ in range(runs)], sess.run(g.state)


def test_a_seed_reproduces_the_sequence_and_each_run_advances_it():
    (first, second), state = _draws(7)
    (again, _), _ = _draws(7)
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], second[0])
    assert state.tolist() == [7 + 4, 0, 0]  # the counter: two draws per run, two runs
    assert abs(first[0].mean()) < 0.1 and abs(first[0].std() - 1) < 0.1
    assert first[1].dtype == np.int32 and ((2 <= first[1]) & (first[1] < 5)).all()
    other, _ = _draws(8, runs=1)
    assert not np.array_equal(first[0], other[0][0])


def test_methods_and_state_ops():
    with tf.Graph().as_default():
        g = tf.random.Generator.from_key_counter(key=5, counter=[0, 0], alg="philox")
        assert g.algorithm == 1
        tn = g.truncated_normal([1000], stddev=2.0)
        seeds = g.make_seeds(4)
        b = g.binomial([500], counts=10.0, probs=0.3)
        full = g.uniform_full_int([4])
        child = g.split(2)[1]
        child_draw = child.uniform([2])
        skip = g.skip(10)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([tn, seeds, b, full, child_draw, g.key])
            before = sess.run(g.state)[0]
            sess.run(skip)
            assert sess.run(g.state)[0] == before + 10
            sess.run(g.reset_from_seed(3))
            assert sess.run(g.state).tolist() == [3, 0, 0]
    assert np.abs(got[0]).max() <= 4.0 and abs(got[0].std() - 1.76) < 0.2
    assert got[1].shape == (2, 4) and got[1].dtype == np.int64 and not got[1][1].any()
    assert abs(got[2].mean() - 3.0) < 0.4 and got[3].dtype == np.int64
    assert ((0 <= got[4]) & (got[4] < 1)).all() and got[5] == 5


def test_global_generator_per_graph():
    with tf.Graph().as_default():
        g = tf.random.get_global_generator()
        assert tf.random.get_global_generator() is g
        mine = tf.random.Generator.from_seed(1)
        tf.random.set_global_generator(mine)
        assert tf.random.experimental.get_global_generator() is mine
    with tf.Graph().as_default():
        assert tf.random.get_global_generator() is not mine


def test_stateless_and_general_dropout():
    x = np.ones((100, 100), np.float32)
    with tf.Graph().as_default():
        a = tf.nn.experimental.stateless_dropout(x, 0.25, seed=[1, 2])
        b = tf.nn.experimental.stateless_dropout(x, 0.25, seed=[1, 2])
        g = tf.random.Generator.from_seed(4)
        c = tf.nn.experimental.general_dropout(x, 0.5, g.uniform, noise_shape=[100, 1])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([a, b, c])
        with pytest.raises(ValueError, match="floating point"):
            tf.nn.experimental.stateless_dropout(np.ones(3, np.int32), 0.5, [1, 2])
    np.testing.assert_array_equal(got[0], got[1])
    assert set(np.unique(got[0])) == {0.0, np.float32(1 / 0.75)}
    assert abs((got[0] == 0).mean() - 0.25) < 0.03
    assert set(np.unique(got[2])) <= {0.0, 2.0} and (got[2] == got[2][:, :1]).all()
