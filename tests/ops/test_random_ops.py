"""Random ops: distributions, shapes, dtypes and TF1's seed rules across runs and sessions."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"RandomStandardNormal", "RandomUniform", "RandomUniformInt", "TruncatedNormal",
                   "RandomShuffle", "Multinomial", "RandomGamma"}


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def draw(t, runs=1):
    with tf.Session() as sess:
        return [sess.run(t) for _ in range(runs)]


def test_random_normal_moments_shape_dtype_and_names(graph):
    t = tf.random_normal([200, 50], mean=3.0, stddev=2.0, seed=7)
    assert t.op.name == "random_normal" and t.shape.as_list() == [200, 50]
    assert graph.get_operation_by_name("random_normal/RandomStandardNormal").type == \
        "RandomStandardNormal"
    (x,) = draw(t)
    assert x.dtype == np.float32 and x.shape == (200, 50)
    assert abs(x.mean() - 3.0) < 0.1 and abs(x.std() - 2.0) < 0.1


def test_truncated_normal_stays_within_two_stddevs(graph):
    (x,) = draw(tf.truncated_normal([20000], mean=1.0, stddev=0.5, seed=1))
    assert x.min() >= 0.0 and x.max() <= 2.0
    # A unit normal truncated to [-2, 2] has stddev 0.8796.
    assert abs(x.std() - 0.5 * 0.87962566) < 0.01


def test_random_uniform_float_and_int(graph):
    f = tf.random_uniform([10000], minval=-2.0, maxval=4.0, seed=3)
    i = tf.random_uniform([10000], minval=5, maxval=9, dtype=tf.int32, seed=3)
    x, n = draw([f, i])[0]
    assert x.dtype == np.float32 and -2.0 <= x.min() and x.max() < 4.0
    assert abs(x.mean() - 1.0) < 0.1
    assert n.dtype == np.int32 and set(np.unique(n)) == {5, 6, 7, 8}
    with pytest.raises(ValueError, match="maxval"):
        tf.random_uniform([2], dtype=tf.int32)


def test_random_shuffle_permutes_the_first_dimension(graph):
    values = np.arange(20, dtype=np.int32).reshape(10, 2)
    (x,) = draw(tf.random_shuffle(values, seed=5))
    assert sorted(map(tuple, x)) == sorted(map(tuple, values))
    assert not np.array_equal(x, values)


def test_random_shuffle_draws_tensorflows_permutations(graph):
    # TensorFlow 2.21's values for these seeds: its Philox stream and Fisher-Yates pass,
    # run after run, for rows and for strings.
    tf.set_random_seed(3)
    rows = tf.random_shuffle(np.arange(20, dtype=np.int32).reshape(10, 2), seed=5)
    words = tf.random_shuffle(tf.constant(["a", "b", "c", "d", "e"]), seed=6)
    with tf.Session() as sess:
        first, second, shuffled = sess.run(rows), sess.run(rows), sess.run(words)
    assert first[:, 0].tolist() == [2, 4, 12, 10, 0, 6, 14, 8, 16, 18]
    np.testing.assert_array_equal(first[:, 1], first[:, 0] + 1)
    assert second[:, 0].tolist() == [2, 18, 6, 12, 0, 16, 8, 14, 10, 4]
    assert shuffled.tolist() == [b"c", b"b", b"d", b"a", b"e"]


def test_multinomial_follows_the_logits(graph):
    logits = np.log(np.array([[0.1, 0.9], [0.8, 0.2]], np.float32))
    s = tf.multinomial(logits, 4000, seed=2)
    (x,) = draw(s)
    assert x.shape == (2, 4000) and x.dtype == np.int64
    assert abs(x[0].mean() - 0.9) < 0.03 and abs(x[1].mean() - 0.2) < 0.03
    c = tf.random.categorical(logits, 3, dtype=tf.int32)
    assert draw(c)[0].dtype == np.int32


def test_random_gamma_shape_and_mean(graph):
    g = tf.random_gamma([5000], alpha=[2.0, 5.0], beta=2.0, seed=4)
    assert g.shape.as_list() == [5000, 2]
    (x,) = draw(g)
    np.testing.assert_allclose(x.mean(axis=0), [1.0, 2.5], rtol=0.05)


def test_new_values_each_run_and_repeatable_across_sessions_when_seeded(graph):
    t = tf.random_normal([4], seed=11)
    first = draw(t, runs=2)
    second = draw(t, runs=2)
    assert not np.array_equal(first[0], first[1])
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_graph_seed_makes_unseeded_ops_repeatable(graph):
    tf.set_random_seed(1234)
    a = tf.random_uniform([3])
    b = tf.random_uniform([3])
    (x, y), = draw([a, b])
    assert not np.array_equal(x, y)  # distinct op seeds from the op count
    np.testing.assert_array_equal(draw(a)[0], x)


def test_graph_seed_reproduces_across_identically_built_graphs():
    def build():
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(99)
            t = tf.random_normal([3])
        with tf.Session(graph=g) as sess:
            return sess.run(t)

    np.testing.assert_array_equal(build(), build())


def test_unseeded_ops_differ_between_sessions(graph):
    t = tf.random_normal([8])
    assert not np.array_equal(draw(t)[0], draw(t)[0])


def test_op_seeds_give_different_streams(graph):
    a, b = tf.random_normal([4], seed=1), tf.random_normal([4], seed=2)
    x, y = draw([a, b])[0]
    assert not np.array_equal(x, y)
