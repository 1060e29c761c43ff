"""TF2-style pooling names and dilation/erosion against TF's values
(tests/fixtures/pooling_tf.npz, written by tests/fixtures/pooling_tf.py); gradients."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import pooling_ops as p
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED = {"Dilation2D"}
GRADIENT_CHECKED = {"Dilation2D"}

TF = np.load(pathlib.Path(__file__).parent.parent / "fixtures" / "pooling_tf.npz")
CASES = {
    "dilation_same": lambda: p.dilation2d(TF["x"], TF["f"], [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
    "dilation_valid_strided": lambda: p.dilation2d(TF["x"], TF["f"], [1, 2, 1, 1],
                                                   [1, 1, 2, 1], "VALID"),
    "dilation_rates_same": lambda: p.dilation2d(TF["x"], TF["f"], [1, 2, 2, 1], [1, 2, 1, 1],
                                                "SAME"),
    "erosion": lambda: p.erosion2d(TF["x"], TF["f"], [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
    "max_pool1d": lambda: p.max_pool1d(TF["seq"], 3, 2, "SAME"),
    "avg_pool1d": lambda: p.avg_pool1d(TF["seq"], 2, 1, "VALID"),
    "max_pool2d": lambda: p.max_pool2d(TF["x"], 2, 2, "VALID"),
    "avg_pool2d": lambda: p.avg_pool2d(TF["x"], [3, 2], [2, 1], "SAME"),
    "max_pool_v2": lambda: p.max_pool_v2(TF["vol"], 2, 1, "VALID"),
    "avg_pool_v2": lambda: p.avg_pool_v2(TF["seq"], 4, 3, "SAME"),
}


@pytest.fixture(scope="module")
def results():
    with tf.Graph().as_default():
        built = {k: fn() for k, fn in CASES.items()}
        with tf.Session() as sess:
            return sess.run(built)


@pytest.mark.parametrize("key", sorted(CASES))
def test_matches_tf(results, key):
    assert results[key].shape == TF[key].shape
    np.testing.assert_allclose(results[key], TF[key], rtol=1e-6, atol=1e-6)


def test_dilation_gradient():
    rng = np.random.default_rng(2)
    x, f = rng.uniform(-1, 1, (1, 4, 5, 2)), rng.uniform(-1, 1, (2, 2, 2))
    check_gradients(lambda x, f: [p.dilation2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1], "SAME"),
                                  p.erosion2d(x, f, [1, 2, 1, 1], [1, 1, 2, 1], "VALID")], x, f)
