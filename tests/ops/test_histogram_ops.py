"""Histograms and confusion matrices against numpy and TF's results."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import histogram_ops as h
from tests.ops.test_op_table import B, check_rows_in_one_run, f32, i32, row

OP_TYPES_TESTED = {"HistogramFixedWidth"}
NOT_DIFFERENTIABLE = {"HistogramFixedWidth": "integer counts (TF: no gradient)"}


def _np_histogram(x, lo, hi, n):
    index = np.clip(np.floor((x.astype(np.float64) - lo) / (hi - lo) * n), 0, n - 1)
    return np.bincount(index.astype(int).ravel(), minlength=n).astype(np.int32)


ROWS = [
    row("HistogramFixedWidth", lambda x: h.histogram_fixed_width(x, [-1.0, 1.0], nbins=4),
        lambda x: _np_histogram(x, -1.0, 1.0, 4), f32(B, 3), dtype=np.int32),
    row("HistogramFixedWidth",
        lambda x: h.histogram_fixed_width(x, [0, 10], nbins=3, dtype=tf.int64),
        lambda x: _np_histogram(x, 0, 10, 3).astype(np.int64), i32(B, 3, low=-3, high=14),
        dtype=np.int64, id="int"),
]


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


def test_table(sess):
    check_rows_in_one_run(sess, ROWS)


def test_values_from_tf(sess):
    values = [-1.0, 0.0, 1.5, 2.0, 5.0, 15.0]
    with sess.graph.as_default():
        outs = [h.histogram_fixed_width(values, [0.0, 5.0], nbins=5),
                h.histogram_fixed_width_bins(values, [0.0, 5.0], nbins=5),
                h.confusion_matrix([1, 2, 4], [2, 2, 4]),
                h.confusion_matrix([0, 1], [1, 1], num_classes=3, weights=[0.5, 2.0],
                                   dtype=tf.float32)]
    got = sess.run(outs)
    assert got[0].tolist() == [2, 1, 1, 0, 2] and got[1].tolist() == [0, 0, 1, 2, 4, 4]
    expected = np.zeros((5, 5), np.int32)
    expected[1, 2] = expected[2, 2] = expected[4, 4] = 1
    np.testing.assert_array_equal(got[2], expected)
    assert got[2].dtype == np.int32
    np.testing.assert_array_equal(got[3], [[0, 0.5, 0], [0, 2.0, 0], [0, 0, 0]])


def test_confusion_matrix_of_fed_labels(sess):
    with sess.graph.as_default():
        labels = tf.placeholder(tf.int32, [None])
        predictions = tf.placeholder(tf.int32, [None])
        cm = h.confusion_matrix(labels, predictions)
    rng = np.random.default_rng(0)
    lab, pred = rng.integers(0, 4, 20), rng.integers(0, 4, 20)
    expected = np.zeros((4, 4), np.int32)
    np.add.at(expected, (lab, pred), 1)
    np.testing.assert_array_equal(sess.run(cm, {labels: lab, predictions: pred}), expected)
