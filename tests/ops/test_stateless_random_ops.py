"""Stateless random ops: the same seed gives the same values (in any run, graph or
session), other seeds other values, with the right distributions; random_poisson."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import stateless_random_ops as sr

OP_TYPES_TESTED = {
    "StatelessRandomUniform",
    "StatelessRandomNormal",
    "StatelessTruncatedNormal",
    "StatelessRandomUniformInt",
    "StatelessMultinomial",
    "StatelessRandomPoisson",
    "StatelessRandomGammaV2",
    "StatelessRandomBinomial",
    "StatelessParameterizedTruncatedNormal",
    "RandomPoissonV2",
}
NOT_DIFFERENTIABLE = {t: "a random draw" for t in OP_TYPES_TESTED}

N = 20000


def _draws(seed):
    return {
        "uniform": sr.stateless_uniform([N], seed, minval=2.0, maxval=4.0),
        "uniform_int": sr.stateless_uniform([N], seed, minval=-3, maxval=5, dtype=tf.int32),
        "normal": sr.stateless_normal([N], seed, mean=1.0, stddev=2.0, dtype=tf.float64),
        "truncated": sr.stateless_truncated_normal([N], seed),
        "categorical": sr.stateless_categorical(np.log([[0.2, 0.8]]), N, seed),
        "poisson": sr.stateless_poisson([N], seed, lam=3.0),
        "gamma": sr.stateless_gamma([N], seed, alpha=2.0, beta=4.0),
        "binomial": sr.stateless_binomial([N], seed, counts=10.0, probs=0.3),
        "ptn": sr.stateless_parameterized_truncated_normal([N], seed, 1.0, 2.0, 0.0, 3.0),
        "split": sr.split(seed, 3),
        "fold_in": sr.fold_in(seed, 7),
    }


def _run(seed):
    with tf.Graph().as_default():
        seed_t = tf.placeholder(tf.int64, [2])
        draws = _draws(seed_t)
        with tf.Session() as sess:
            return sess.run(draws, {seed_t: seed}), sess.run(draws, {seed_t: seed})


def test_same_seed_same_values_and_distributions():
    first, again = _run([1, 2])
    other, _ = _run([3, 4])
    for key in first:
        np.testing.assert_array_equal(first[key], again[key], err_msg=key)
        assert not np.array_equal(first[key], other[key]), key
    d = first
    assert d["uniform"].dtype == np.float32 and 2 <= d["uniform"].min() and d["uniform"].max() < 4
    assert abs(d["uniform"].mean() - 3.0) < 0.05
    assert d["uniform_int"].dtype == np.int32 and set(np.unique(d["uniform_int"])) == set(
        range(-3, 5)
    )
    assert abs(d["normal"].mean() - 1.0) < 0.1 and abs(d["normal"].std() - 2.0) < 0.1
    assert np.abs(d["truncated"]).max() <= 2.0
    assert d["categorical"].shape == (1, N) and abs(d["categorical"].mean() - 0.8) < 0.02
    assert d["poisson"].dtype == np.int32 and abs(d["poisson"].mean() - 3.0) < 0.1
    assert abs(d["gamma"].mean() - 0.5) < 0.02
    assert d["binomial"].dtype == np.int32 and abs(d["binomial"].mean() - 3.0) < 0.1
    assert 0.0 <= d["ptn"].min() and d["ptn"].max() <= 3.0
    assert d["split"].shape == (3, 2) and d["split"].dtype == np.int64
    assert d["fold_in"].shape == (2,) and d["fold_in"][1] == 7


def test_random_poisson_is_stateful_and_shaped_by_lam():
    with tf.Graph().as_default():
        draws = sr.random_poisson([1.0, 10.0], [5000], seed=3)
        assert draws.shape.as_list() == [5000, 2] and draws.dtype == tf.float32
        with tf.Session() as sess:
            a, b = sess.run(draws), sess.run(draws)
    assert not np.array_equal(a, b)
    np.testing.assert_allclose(a.mean(0), [1.0, 10.0], rtol=0.05)


def test_seed_must_be_a_pair():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="seed must have shape"):
            sr.stateless_normal([2], [1, 2, 3])
