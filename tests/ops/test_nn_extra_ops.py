"""More of tf.nn (silu, transposed convolutions, with_space_to_batch, CTC label helpers)
against TensorFlow's values (tests/fixtures/nn_extra_tf.py) and finite differences."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients

TF = np.load(pathlib.Path(__file__).parent.parent / "fixtures" / "nn_extra_tf.npz")
BN = [
    np.array(v, np.float32)
    for v in ([0.5, -1, 2], [1.0, 2.0, 0.5], [0.1, 0.2, 0.3], [2.0, 3.0, 4.0])
]


def _conv(x, n, padding):
    return tf.nn.conv2d(x, TF["k"], [1, 1, 1, 1], padding)


def _built(v):
    nn = tf.nn
    sparse = tf.SparseTensor([[0, 0], [0, 1], [1, 0], [2, 0], [2, 1]], [3, 1, 2, 5, 5], [3, 2])
    out = {
        "silu": nn.silu(v["x1"]),
        "silu_beta": nn.silu(v["x1"], beta=0.5),
        "conv1d_t": nn.conv1d_transpose(v["x1"], v["f1"], [2, 10, 4], 2),
        "conv1d_t_valid": nn.conv1d_transpose(v["x1"], v["f1"], [2, 7, 4], 1, "VALID"),
        "conv_t": nn.conv_transpose(v["x2"], v["f2"], [1, 8, 8, 3], 2),
        "atrous_t": nn.atrous_conv2d_transpose(v["x2"], v["f2"], [1, 4, 4, 3], 2, "SAME"),
        "atrous_t_valid": nn.atrous_conv2d_transpose(v["x2"], v["f2"], [1, 8, 8, 3], 2, "VALID"),
        "wstb_same": nn.with_space_to_batch(v["img"], [2, 2], "SAME", _conv, filter_shape=[3, 3]),
        "wstb_valid": nn.with_space_to_batch(v["img"], [2, 1], "VALID", _conv),
        "bn_global": nn.batch_norm_with_global_normalization(v["bn"], *BN, 0.01, True),
        "bn_global_noscale": nn.batch_norm_with_global_normalization(v["bn"], *BN, 0.01, False),
        "ctc_dense": nn.ctc_loss_v2(v["labels"] + 1, v["logits"], v["lengths"], v["logit_length"]),
        "ctc_dense_blank_last": nn.ctc_loss_v2(
            v["labels"], v["logits"], v["lengths"], v["logit_length"], blank_index=-1
        ),
        "ctc_sparse": nn.ctc_loss_v2(sparse, v["logits"], None, v["logit_length"], blank_index=2),
    }
    out["collapsed"], out["collapsed_len"] = nn.collapse_repeated(v["labels"], v["lengths"])
    out["unique"], out["unique_idx"] = nn.ctc_unique_labels(v["labels"])
    out["paddings"], out["crops"] = tf.required_space_to_batch_paddings(
        [7, 6], [2, 4], [[1, 1], [2, 0]]
    )
    return out


@pytest.fixture(scope="module")
def got():
    with tf.Graph().as_default():
        outs = _built(
            {
                k: TF[k]
                for k in (
                    "x1",
                    "f1",
                    "x2",
                    "f2",
                    "img",
                    "labels",
                    "lengths",
                    "logits",
                    "logit_length",
                    "bn",
                )
            }
        )
        return tf.Session().run(outs)


KEYS = [
    "silu",
    "silu_beta",
    "conv1d_t",
    "conv1d_t_valid",
    "conv_t",
    "atrous_t",
    "atrous_t_valid",
    "wstb_same",
    "wstb_valid",
    "bn_global",
    "bn_global_noscale",
    "ctc_dense",
    "ctc_dense_blank_last",
    "ctc_sparse",
    "collapsed",
    "collapsed_len",
    "unique",
    "unique_idx",
    "paddings",
    "crops",
]


@pytest.mark.parametrize("key", KEYS)
def test_matches_tensorflow(got, key):
    assert got[key].shape == TF[key].shape
    np.testing.assert_allclose(got[key], TF[key], rtol=1e-4, atol=1e-4)


def test_transposed_convolutions_are_conv_gradients():
    x = TF["x1"][:1, :4].astype(np.float64)
    check_gradients(
        lambda t: tf.nn.conv1d_transpose(t, TF["f1"].astype(np.float64), [1, 8, 4], 2), x
    )
    check_gradients(lambda t: tf.nn.silu(t, beta=0.7), x)


def test_errors_name_the_argument():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="rate"):
            tf.nn.atrous_conv2d_transpose(TF["x2"], TF["f2"], [1, 4, 4, 3], 0, "SAME")
        with pytest.raises(ValueError, match="output_shape"):
            tf.nn.conv_transpose(TF["x2"], TF["f2"], [1, 8], 2)
        with pytest.raises(ValueError, match="filter_shape"):
            tf.nn.with_space_to_batch(TF["img"], [2, 2], "SAME", _conv)
        with pytest.raises(ValueError, match="blank_index"):
            tf.nn.ctc_loss_v2(
                tf.SparseTensor([[0, 0]], [1], [1, 1]), TF["logits"][:, :1], None, [6]
            )
