"""Fake quantization with tensor ranges against TF's values and gradients
(tests/fixtures/fake_quant_tf.npz, written by tests/fixtures/fake_quant_tf.py)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import fake_quant_ops as fq

OP_TYPES_TESTED = {
    "FakeQuantWithMinMaxVars",
    "FakeQuantWithMinMaxVarsPerChannel",
    "FakeQuantWithMinMaxVarsGradient",
    "FakeQuantWithMinMaxVarsPerChannelGradient",
}
# Straight-through gradients (finite differences of a step function are 0 or infinite):
# checked against TF's own values instead.
GRADIENT_CHECKED = {"FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxVarsPerChannel"}
NOT_DIFFERENTIABLE = {
    "FakeQuantWithMinMaxVarsGradient": "a gradient op",
    "FakeQuantWithMinMaxVarsPerChannelGradient": "a gradient op",
}

TF = np.load(pathlib.Path(__file__).parent.parent / "fixtures" / "fake_quant_tf.npz")


def test_values_and_gradients_match_tf():
    with tf.Graph().as_default():
        x = tf.constant(TF["x"])
        lo, hi = tf.constant(-5.3), tf.constant(4.2)
        los = tf.constant(np.linspace(-6, -1, 6, dtype=np.float32))
        his = tf.constant(np.linspace(1, 6.5, 6, dtype=np.float32))
        y = fq.fake_quant_with_min_max_vars(x, lo, hi, num_bits=5)
        yn = fq.fake_quant_with_min_max_vars(x, lo, hi, narrow_range=True)
        yc = fq.fake_quant_with_min_max_vars_per_channel(x, los, his, num_bits=4)
        weights = tf.constant(np.arange(24, dtype=np.float32).reshape(4, 6))
        grads = tf.gradients(tf.reduce_sum(y * weights), [x, lo, hi])
        grads_c = tf.gradients(tf.reduce_sum(yc * weights), [x, los, his])
        with tf.Session() as sess:
            got = sess.run(
                {
                    "y": y,
                    "yn": yn,
                    "yc": yc,
                    "gx": grads[0],
                    "gmin": grads[1],
                    "gmax": grads[2],
                    "gcx": grads_c[0],
                    "gcmin": grads_c[1],
                    "gcmax": grads_c[2],
                }
            )
    for key, value in got.items():
        np.testing.assert_allclose(value, TF[key], rtol=1e-6, atol=1e-6, err_msg=key)


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="num_bits"):
            fq.fake_quant_with_min_max_vars([1.0], -1.0, 1.0, num_bits=1)
        with pytest.raises(ValueError, match="last dimension"):
            fq.fake_quant_with_min_max_vars_per_channel(tf.zeros([2, 3]), [0.0, 0.0], [1.0, 1.0])
