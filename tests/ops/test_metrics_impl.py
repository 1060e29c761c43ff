"""`tf.metrics`: variable names, update ops and values as TensorFlow 2.21's compat.v1 gives."""

import numpy as np
import pytest

import flowgraph as tf

BATCHES = [
    ([1, 0, 1, 1], [1, 1, 0, 1], [1.0, 2.0, 1.0, 0.5], [1.0, 2.0, 3.0, 4.0]),
    ([0, 0, 1, 0], [0, 1, 1, 0], [1.0, 1.0, 1.0, 1.0], [0.5, 5.0, 2.0, 1.0]),
]
# After both batches, from TF 2.21 compat.v1 running this same graph.
EXPECTED = {
    "acc": 0.529412, "mean": 2.3125, "wmean": 2.17647, "mae": 0.375, "mse": 0.470588,
    "rmse": 0.612372, "tp": 3.0, "fp": 2.0, "tn": 2.0, "fn": 1.0, "prec": 0.6, "rec": 0.714286,
    "below": 0.625, "mt": [[0.75, 3.5], [2.5, 2.5]],
}  # fmt: skip


def test_metrics_match_tensorflow():
    with tf.Graph().as_default():
        labels, preds = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.int64, [None])
        w, vals = tf.placeholder(tf.float32, [None]), tf.placeholder(tf.float32, [None])
        metrics = {
            "acc": tf.metrics.accuracy(labels, preds, weights=w),
            "mean": tf.metrics.mean(vals),
            "wmean": tf.metrics.mean(vals, weights=w),
            "mae": tf.metrics.mean_absolute_error(labels, preds),
            "mse": tf.metrics.mean_squared_error(labels, preds, weights=w),
            "rmse": tf.metrics.root_mean_squared_error(labels, preds),
            "tp": tf.metrics.true_positives(labels, preds),
            "fp": tf.metrics.false_positives(labels, preds),
            "tn": tf.metrics.true_negatives(labels, preds),
            "fn": tf.metrics.false_negatives(labels, preds, weights=w),
            "prec": tf.metrics.precision(labels, preds),
            "rec": tf.metrics.recall(labels, preds, weights=w),
            "below": tf.metrics.percentage_below(vals, 2.5),
            "mt": tf.metrics.mean_tensor(tf.reshape(vals, [2, 2])),
        }
        names = sorted(v.name for v in tf.local_variables())
        assert names[:6] == ["accuracy/count:0", "accuracy/total:0", "false_negatives/count:0",
                             "false_positives/count:0", "mean/count:0", "mean/total:0"]  # fmt: skip
        assert "precision/true_positives/count:0" in names and len(names) == 24
        assert tf.get_collection(tf.GraphKeys.METRIC_VARIABLES) == tf.local_variables()
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for label, pred, weight, value in BATCHES:
                feed = {labels: label, preds: pred, w: weight, vals: value}
                updates = sess.run({k: u for k, (_, u) in metrics.items()}, feed)
            values = sess.run({k: m for k, (m, _) in metrics.items()})
    for key, expected in EXPECTED.items():
        np.testing.assert_allclose(updates[key], expected, rtol=1e-5, err_msg=key)
        np.testing.assert_allclose(values[key], expected, rtol=1e-5, err_msg=key)


def test_empty_metrics_are_zero_and_collections_are_filled():
    with tf.Graph().as_default():
        value, update = tf.metrics.mean(tf.constant([], tf.float32), metrics_collections=["m"],
                                        updates_collections=["u"])  # fmt: skip
        assert tf.get_collection("m") == [value] and tf.get_collection("u") == [update]
        precision, _ = tf.metrics.precision([False], [False])
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert sess.run([value, update, precision]) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["accuracy", "mean_squared_error", "recall"])
def test_metric_name_sets_its_scope(name):
    with tf.Graph().as_default():
        fn = getattr(tf.metrics, name)
        args = ([1.0], [1.0]) if name != "recall" else ([True], [True])
        fn(*args, name="custom")
        assert all(v.name.startswith("custom/") for v in tf.local_variables())


THRESHOLD_BATCHES = [
    ([1, 0, 1, 1, 0], [0.9, 0.4, 0.35, 0.8, 0.1], [1.0, 2.0, 1.0, 0.5, 1.0]),
    ([0, 0, 1, 0, 1], [0.6, 0.2, 0.7, 0.3, 0.55], [1.0, 1.0, 1.0, 1.0, 2.0]),
]
# From TF 2.21 compat.v1 running this same graph.
THRESHOLD_EXPECTED = {
    "roc": 0.88, "roc_w": 0.848485, "pr": 0.893711, "pr_trap": 0.893095, "minor": 0.8,
    "major": 0.88, "tp": [5.0, 3.0], "fp": [3.0, 0.0], "tn": [3.0, 5.0], "fn": [0.0, 2.0],
    "prec": [0.714286, 1.0], "rec": [1.0, 0.454545],
}  # fmt: skip


def test_auc_and_threshold_metrics_match_tensorflow():
    with tf.Graph().as_default():
        labels, preds = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.float32, [None])
        w = tf.placeholder(tf.float32, [None])
        cuts = [0.3, 0.6]
        metrics = {
            "roc": tf.metrics.auc(labels, preds),
            "roc_w": tf.metrics.auc(labels, preds, weights=w, num_thresholds=50),
            "pr": tf.metrics.auc(labels, preds, curve="PR",
                                 summation_method="careful_interpolation"),
            "pr_trap": tf.metrics.auc(labels, preds, curve="PR"),
            "minor": tf.metrics.auc(labels, preds, summation_method="minoring",
                                    thresholds=[0.25, 0.5, 0.75]),
            "major": tf.metrics.auc(labels, preds, summation_method="majoring"),
            "tp": tf.metrics.true_positives_at_thresholds(labels, preds, cuts),
            "fp": tf.metrics.false_positives_at_thresholds(labels, preds, cuts, weights=w),
            "tn": tf.metrics.true_negatives_at_thresholds(labels, preds, cuts),
            "fn": tf.metrics.false_negatives_at_thresholds(labels, preds, cuts),
            "prec": tf.metrics.precision_at_thresholds(labels, preds, cuts),
            "rec": tf.metrics.recall_at_thresholds(labels, preds, cuts, weights=w),
        }  # fmt: skip
        names = sorted(v.name for v in tf.local_variables())
        assert names[:4] == ["auc/false_negatives:0", "auc/false_positives:0",
                             "auc/true_negatives:0", "auc/true_positives:0"]  # fmt: skip
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for label, pred, weight in THRESHOLD_BATCHES:
                updates = sess.run({k: u for k, (_, u) in metrics.items()},
                                   {labels: label, preds: pred, w: weight})  # fmt: skip
            values = sess.run({k: m for k, (m, _) in metrics.items()})
    for key, expected in THRESHOLD_EXPECTED.items():
        np.testing.assert_allclose(updates[key], expected, rtol=1e-5, err_msg=key)
        np.testing.assert_allclose(values[key], expected, rtol=1e-5, err_msg=key)


def test_auc_checks_its_arguments_and_prediction_range():
    with tf.Graph().as_default():
        with pytest.raises(
            ValueError, match="^Curve must be either ROC or PR. Curve XY is unknown.$"
        ):
            tf.metrics.auc([1], [0.5], curve="XY")
        with pytest.raises(ValueError, match="Invalid summation_method"):
            tf.metrics.auc([1], [0.5], summation_method="simpson")
        preds = tf.placeholder(tf.float32, [None])
        _, update = tf.metrics.auc(tf.constant([1, 0]), preds)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"must be in \[0, 1\]"):
                sess.run(update, {preds: [0.5, 1.5]})


MORE_BATCHES = [
    ([1, 0, 2, 1], [1, 1, 2, 0], [1.0, 2.0, 1.0, 0.5], [0.9, 0.2, 0.6, 0.4],
     [[1, 0], [0, 1], [0.6, 0.8], [1, 0]], [[1, 0], [1, 0], [0.6, 0.8], [0, 1]]),
    ([2, 0, 1, 2], [2, 0, 0, 1], [1.0, 1.0, 3.0, 1.0], [0.7, 0.3, 0.35, 0.8],
     [[0, 1], [1, 0], [0, 1], [1, 0]], [[0, 1], [0.6, 0.8], [0, 1], [1, 0]]),
]  # fmt: skip
# (update op, value) after both batches, from TF 2.21 compat.v1 running this same graph.
MORE_EXPECTED = {
    "rel": (0.53125, 0.53125),
    "cos": (0.3, 0.3),
    "mpca": ([0.33333, 0.22222, 0.66667], 0.40741),
    "iou": ([[1.0, 1.0, 0.0], [2.0, 1.0, 0.0], [0.0, 1.0, 2.0]], 0.37222),
    "iou_w": ([[1.0, 2.0, 0.0], [3.5, 1.0, 0.0], [0.0, 1.0, 2.0]], 0.31795),
    "sens": (1.0, 1.0),
    "spec": (1.0, 1.0),
}


def test_more_metrics_match_tensorflow():
    with tf.Graph().as_default():
        labels, preds = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.int64, [None])
        w, probs = tf.placeholder(tf.float32, [None]), tf.placeholder(tf.float32, [None])
        vec_l, vec_p = tf.placeholder(tf.float32, [None, 2]), tf.placeholder(tf.float32, [None, 2])
        fl, fp = tf.cast(labels, tf.float32), tf.cast(preds, tf.float32)
        positive = tf.cast(labels > 0, tf.int64)
        metrics = {
            "rel": tf.metrics.mean_relative_error(fl, fp * 0.5, normalizer=fl),
            "cos": tf.metrics.mean_cosine_distance(vec_l, vec_p, dim=1),
            "mpca": tf.metrics.mean_per_class_accuracy(labels, preds, 3, weights=w),
            "iou": tf.metrics.mean_iou(labels, preds, 3),
            "iou_w": tf.metrics.mean_iou(labels, preds, 3, weights=w),
            "sens": tf.metrics.sensitivity_at_specificity(positive, probs, 0.5),
            "spec": tf.metrics.specificity_at_sensitivity(positive, probs, 0.7, num_thresholds=20),
        }
        assert "mean_iou/total_confusion_matrix:0" in [v.name for v in tf.local_variables()]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for label, pred, weight, prob, vl, vp in MORE_BATCHES:
                feed = {labels: label, preds: pred, w: weight, probs: prob, vec_l: vl, vec_p: vp}
                updates = sess.run({k: u for k, (_, u) in metrics.items()}, feed)
            values = sess.run({k: m for k, (m, _) in metrics.items()})
    for key, (update, value) in MORE_EXPECTED.items():
        np.testing.assert_allclose(updates[key], update, rtol=1e-4, err_msg=key)
        np.testing.assert_allclose(values[key], value, rtol=1e-4, err_msg=key)
    with pytest.raises(ValueError, match="`specificity` must be in the range"):
        tf.metrics.sensitivity_at_specificity([1], [0.5], 1.5)


def test_auc_with_weights_of_shape_n_1():
    # TensorFlow 1.x's value: the weights broadcast to the predictions' [N, 1] shape.
    with tf.Graph().as_default():
        _, update = tf.metrics.auc(
            np.array([[1], [0], [1], [0]]),
            np.array([[0.8], [0.3], [0.4], [0.6]], np.float32),
            weights=np.array([[1.0], [2.0], [0.5], [1.0]], np.float32),
        )
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            np.testing.assert_allclose(sess.run(update), 0.8888887, rtol=1e-6)


def test_metric_variables_are_never_partitioned():
    with tf.Graph().as_default():
        with tf.variable_scope("m", partitioner=tf.min_max_variable_partitioner(max_partitions=0)):
            _, update = tf.metrics.auc([[1], [0]], [[0.7], [0.2]])
        assert all("part_" not in v.name for v in tf.local_variables())
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert sess.run(update) == pytest.approx(1.0)
