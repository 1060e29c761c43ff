"""Initializers: the values and statistics TF1's formulas give, through variables."""

from __future__ import annotations

import math

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"Qr", "MatrixDiagPart"}  # through the orthogonal initializer


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def value(init, shape, dtype=tf.float32):
    v = tf.Variable(lambda: init(shape, dtype=dtype), name="v")
    with tf.Session() as sess:
        sess.run(v.initializer)
        return sess.run(v)


def test_zeros_ones_constant(graph):
    np.testing.assert_array_equal(value(tf.zeros_initializer(), [2, 3]), np.zeros((2, 3)))
    ones = value(tf.ones_initializer(), [4], dtype=tf.int32)
    assert ones.dtype == np.int32 and ones.tolist() == [1, 1, 1, 1]
    np.testing.assert_array_equal(value(tf.constant_initializer(2.5), [2]), [2.5, 2.5])
    padded = value(tf.constant_initializer([1.0, 2.0]), [2, 2])
    np.testing.assert_array_equal(padded, [[1.0, 2.0], [2.0, 2.0]])  # TF1 pads with the last
    with pytest.raises(TypeError):
        tf.constant_initializer([1.0, 2.0], verify_shape=True)([3])


def test_initializer_op_names(graph):
    z = tf.zeros_initializer()([2])
    assert z.op.name == "zeros"


def test_large_zeros_ones_are_fills_not_full_constants(graph):
    # An optimizer slot of a big variable must not hold a full-size array in the graph
    # (TF's zeros/ones: Const below 1,000 elements, Fill from there).
    big = tf.zeros_initializer()([64, 64])
    assert big.op.type == "Fill" and big.op.name == "zeros"
    assert tf.zeros_initializer()([10, 10]).op.type == "Const"
    np.testing.assert_array_equal(value(tf.zeros_initializer(), [40, 30]), np.zeros((40, 30)))
    ones = value(tf.ones_initializer(), [1000], dtype=tf.int32)
    assert ones.dtype == np.int32 and ones.tolist() == [1] * 1000


def test_random_initializers_statistics(graph):
    n = value(tf.random_normal_initializer(1.0, 0.5, seed=1), [4000])
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 0.5) < 0.05
    t = value(tf.truncated_normal_initializer(0.0, 1.0, seed=1), [4000])
    assert np.abs(t).max() <= 2.0
    u = value(tf.random_uniform_initializer(-1.0, 3.0, seed=1), [4000])
    assert -1.0 <= u.min() and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.1


def test_uniform_unit_scaling_limit(graph):
    w = value(tf.uniform_unit_scaling_initializer(factor=2.0, seed=2), [300, 40])
    limit = math.sqrt(3 / 300) * 2.0
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit


@pytest.mark.parametrize("mode,fan", [("fan_in", 60 * 9), ("fan_out", 40 * 9),
                                      ("fan_avg", 50 * 9)])
def test_variance_scaling_modes_on_a_conv_kernel(graph, mode, fan):
    shape = [3, 3, 60, 40]  # receptive field 9
    uniform = value(tf.variance_scaling_initializer(2.0, mode, "uniform", seed=3), shape)
    limit = math.sqrt(3.0 * 2.0 / fan)
    assert np.abs(uniform).max() <= limit and np.abs(uniform).max() > 0.95 * limit
    normal = value(tf.variance_scaling_initializer(2.0, mode, "untruncated_normal", seed=3),
                   shape)
    assert abs(normal.std() - math.sqrt(2.0 / fan)) < 0.05 * math.sqrt(2.0 / fan)
    trunc = value(tf.variance_scaling_initializer(2.0, mode, "truncated_normal", seed=3), shape)
    stddev = math.sqrt(2.0 / fan) / 0.87962566103423978
    assert np.abs(trunc).max() <= 2 * stddev
    assert abs(trunc.std() - math.sqrt(2.0 / fan)) < 0.05 * math.sqrt(2.0 / fan)


def test_variance_scaling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="scale"):
        tf.variance_scaling_initializer(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        tf.variance_scaling_initializer(mode="fan_sideways")
    with pytest.raises(ValueError, match="distribution"):
        tf.variance_scaling_initializer(distribution="cauchy")


def test_glorot_uniform_and_normal(graph):
    w = value(tf.glorot_uniform_initializer(seed=4), [200, 100])
    limit = math.sqrt(6.0 / 300)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    g = value(tf.glorot_normal_initializer(seed=4), [200, 100])
    assert abs(g.std() - math.sqrt(2.0 / 300)) < 0.05 * math.sqrt(2.0 / 300)


@pytest.mark.parametrize("shape", [[6, 4], [4, 6], [2, 3, 5]])
def test_orthogonal_is_orthogonal(graph, shape):
    w = value(tf.orthogonal_initializer(gain=2.0, seed=5), shape)
    flat = w.reshape(-1, shape[-1])
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-4)
    with pytest.raises(ValueError, match="two-dimensional"):
        tf.orthogonal_initializer()([3])


def test_identity_initializer(graph):
    np.testing.assert_array_equal(value(tf.initializers.identity(gain=3.0), [2, 3]),
                                  3.0 * np.eye(2, 3))
    with pytest.raises(ValueError, match="2D"):
        tf.initializers.identity()([2, 2, 2])


def test_seeded_initializers_repeat_across_graphs():
    def build():
        with tf.Graph().as_default():
            return value(tf.glorot_uniform_initializer(seed=9), [3, 3])

    np.testing.assert_array_equal(build(), build())


def test_get_config_round_trips():
    init = tf.variance_scaling_initializer(2.0, "fan_out", "uniform", seed=1)
    again = type(init).from_config(init.get_config())
    assert again.get_config() == init.get_config()
