"""`tf.metrics` against TensorFlow's own values (tests/fixtures/tf_metrics.json) and numpy.

The fixture holds, per metric and arguments, TF 2.21 compat.v1's local variable names, the
update op's result after each of three batches and the value read afterwards; it is made by
tests/fixtures/make_tf_metrics.py.
"""

import json
import os

import numpy as np
import pytest

import flowgraph as tf

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tf_metrics.json")
with open(FIXTURE) as f:
    CASES = json.load(f)["cases"]


def _case_id(case):
    return case["metric"] + "".join(f"-{k}={v}" for k, v in sorted(case["kwargs"].items()))


def _placeholder(batch):
    """A placeholder for one batch (a SparseTensor of three placeholders for sparse labels)."""
    if isinstance(batch, dict):
        indices, values = tf.placeholder(tf.int64, [None, 2]), tf.placeholder(tf.int64, [None])
        return tf.SparseTensor(indices, values, tf.placeholder(tf.int64, [2]))
    dtype, value = batch
    return tf.placeholder(dtype, np.shape(value))


def _feed(holders, step, inputs):
    feed = {}
    for name, holder in holders.items():
        batch = inputs[name][step]
        if isinstance(batch, dict):
            feed[holder.indices] = np.reshape(batch["indices"], [-1, 2])
            feed[holder.values], feed[holder.dense_shape] = batch["values"], batch["dense_shape"]
        else:
            feed[holder] = batch[1]
    return feed


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_metric_matches_tensorflow(case):
    with tf.Graph().as_default():
        holders = {name: _placeholder(b[0]) for name, b in case["inputs"].items()}
        value, update = getattr(tf.metrics, case["metric"])(**holders, **case["kwargs"])
        assert sorted(v.name for v in tf.local_variables()) == case["variables"]
        assert [value.dtype.name, update.dtype.name] == case["dtypes"]
        assert tf.get_collection(tf.GraphKeys.METRIC_VARIABLES) == tf.local_variables()
        assert not tf.global_variables()
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for step, expected in enumerate(case["updates"]):
                got = sess.run(update, _feed(holders, step, case["inputs"]))
                np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6, err_msg=step)
            np.testing.assert_allclose(sess.run(value), case["value"], rtol=2e-5, atol=1e-6)


# TF 2.21's ValueError texts, for the same calls (TF raises these while building).
SHAPE_ERRORS = [
    ("accuracy", ([1, 0, 1], [1, 0]), {}, "Shapes (2,) and (3,) are incompatible"),
    ("mean_squared_error", ([[1.0, 0.0]], [1.0, 0.0, 2.0]), {},
     "Shapes (3,) and (1, 2) are incompatible"),
    ("precision", ([True, False], [True]), {}, "Shapes (1,) and (2,) are incompatible"),
    ("mean_cosine_distance", ([[1.0, 0.0]], [[1.0, 0.0, 0.0]]), {"dim": 1},
     "Shapes (1, 3) and (1, 2) are incompatible"),
    ("mean_relative_error", ([1.0, 2.0], [1.0, 2.0], [1.0, 2.0, 3.0]), {},
     "Shapes (2,) and (3,) are incompatible"),
    ("mean", ([1.0, 2.0, 3.0],), {"weights": [1.0, 2.0]},
     "weights can not be broadcast to values. Mismatch at dim 0. values.shape=[3], "
     "weights.shape=[2]. Received weights="),
    ("mean_tensor", ([[1.0, 2.0]],), {"weights": [1.0, 2.0, 3.0]},
     "weights can not be broadcast to values. Mismatch at dim 0. values.shape=[1 2], "
     "weights.shape=[3 1]. Received weights="),
    ("auc", ([1, 0], [0.5, 0.2]), {"curve": "XY"}, "Curve must be either ROC or PR. Curve XY is "
     "unknown."),
    ("auc", ([1, 0], [0.5, 0.2]), {"summation_method": "simpson"},
     "Invalid summation_method: simpson summation_method should be 'trapezoidal', "
     "'careful_interpolation', 'minoring', or 'majoring'."),
    ("average_precision_at_k", ([[1]], [[0.5, 0.2]], 0), {}, "Invalid k=0. `k` should be >= 1."),
    ("precision_at_k", ([[[1]]], [[0.5, 0.2]], 1), {},
     "Unexpected labels shape (1, 1, 1) for predictions shape (1, 1). Predictions rank should "
     "be the same rank as labels rank or labels rank plus one ."),
    ("sensitivity_at_specificity", ([1, 0], [0.5, 0.2], 1.5), {},
     "`specificity` must be in the range [0, 1]. Currently, `specificity` got 1.5."),
]  # fmt: skip


@pytest.mark.parametrize("metric, args, kwargs, message", SHAPE_ERRORS)
def test_bad_arguments_raise_tensorflows_value_errors(metric, args, kwargs, message):
    with tf.Graph().as_default():
        args = [tf.constant(a) for a in args[:2]] + list(args[2:])
        with pytest.raises(ValueError) as raised:
            getattr(tf.metrics, metric)(*args, **kwargs)
    assert str(raised.value).startswith(message)


def test_weights_with_a_trailing_unit_dimension_are_squeezed_like_tensorflows():
    with tf.Graph().as_default():
        values, weights = tf.constant([1.0, 2.0, 4.0]), tf.constant([[1.0], [0.0], [3.0]])
        mean, update = tf.metrics.mean(values, weights)
        accuracy, acc_update = tf.metrics.accuracy([[1], [2], [3]], [1.2, 2.0, 2.9])
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            sess.run([update, acc_update])
            # (1 + 12) / 4; predictions are cast to the labels' int32 (1, 2, 2) as TF1 does.
            np.testing.assert_allclose(sess.run([mean, accuracy]), [3.25, 2 / 3], rtol=1e-6)


def _numpy_at_k(labels, scores, k):
    """(tp, fp, fn, sum of AveP@k, rows) of one batch, with Python sets as TF1's set ops."""
    tp = fp = fn = average = 0.0
    for row_labels, row_scores in zip(labels, scores):
        top = [int(i) for i in np.argsort(-row_scores, kind="stable")[:k]]
        wanted = set(int(label) for label in row_labels)
        tp, fp = tp + len(set(top) & wanted), fp + len(set(top) - wanted)
        fn += len(wanted - set(top))
        hits = np.cumsum([i in wanted for i in top])
        precision_sum = sum(hits[i] / (i + 1) for i, c in enumerate(top) if c in wanted)
        relevant = min(k, sum(label >= 0 for label in row_labels))
        average += precision_sum / relevant
    return np.array([tp, fp, fn, average, len(labels)])


def test_top_k_metrics_match_numpy_over_several_batches():
    rng = np.random.RandomState(7)
    k = 3
    with tf.Graph().as_default():
        labels, scores = tf.placeholder(tf.int64, [5, 3]), tf.placeholder(tf.float32, [5, 8])
        metrics = [
            tf.metrics.precision_at_k(labels, scores, k, metrics_collections=["values"]),
            tf.metrics.recall_at_k(labels, scores, k, updates_collections=["updates"]),
            tf.metrics.average_precision_at_k(labels, scores, k),
        ]
        assert tf.get_collection("values") == [metrics[0][0]]
        assert tf.get_collection("updates") == [metrics[1][1]]
        totals = np.zeros(5)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for _ in range(4):  # labels repeat within a row: a set counts them once
                batch_labels, batch_scores = rng.randint(0, 8, [5, 3]), rng.permutation(40)
                batch_scores = batch_scores.reshape(5, 8).astype(np.float32)
                totals += _numpy_at_k(batch_labels, batch_scores, k)
                feed = {labels: batch_labels, scores: batch_scores}
                updates = sess.run([update for _, update in metrics], feed)
                tp, fp, fn, average, rows = totals
                expected = [tp / (tp + fp), tp / (tp + fn), average / rows]
                np.testing.assert_allclose(updates, expected, rtol=1e-12)
            np.testing.assert_allclose(sess.run([v for v, _ in metrics]), expected, rtol=1e-12)
