"""TF 1.15's canned heads: losses (SUM reduction), metrics and predictions, checked
against the values TF's own head_test.py computes by hand for the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.estimator.canned import head as head_lib

ModeKeys = tf.estimator.ModeKeys


@pytest.fixture(autouse=True)
def graph():
    with tf.Graph().as_default() as g:
        tf.train.create_global_step()
        yield g


def _run_metrics(spec):
    with tf.Session() as session:
        session.run(
            [
                tf.global_variables_initializer(),
                tf.local_variables_initializer(),
                tf.tables_initializer(),
            ]
        )
        updates = {k: v[1] for k, v in spec.eval_metric_ops.items()}
        loss, updated = session.run((spec.loss, updates))
        values = session.run({k: v[0] for k, v in spec.eval_metric_ops.items()})
    return loss, updated, values


def test_multi_class_eval():
    head = head_lib._multi_class_head_with_softmax_cross_entropy_loss(3)
    spec = head.create_estimator_spec(
        features={"x": np.array([[42]], np.int32)},
        mode=ModeKeys.EVAL,
        logits=np.array([[10, 0, 0], [0, 10, 0]], np.float32),
        labels=np.array([[1], [1]], np.int64),
    )
    loss, updated, values = _run_metrics(spec)
    expected = {"average_loss": 5.0, "accuracy": 0.5}
    np.testing.assert_allclose(loss, 10.0, rtol=1e-2)
    assert updated == pytest.approx(expected, rel=1e-2) and values == pytest.approx(expected, 1e-2)
    assert spec.export_outputs is None and spec.train_op is None


def test_binary_eval():
    head = head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss()
    spec = head.create_estimator_spec(
        features={"x": np.array([[42]], np.int32)},
        mode=ModeKeys.EVAL,
        logits=np.array([[45], [-41]], np.float32),
        labels=np.array([[1], [1]], np.int32),
    )
    _, updated, values = _run_metrics(spec)
    expected = {
        "average_loss": 20.5,
        "accuracy": 0.5,
        "precision": 1.0,
        "recall": 0.5,
        "prediction/mean": 0.5,
        "label/mean": 1.0,
        "accuracy_baseline": 1.0,
        "auc": 0.0,
        "auc_precision_recall": 1.0,
    }
    assert values == pytest.approx(expected, abs=1e-2)


def test_binary_weighted_multi_example_eval():
    head = head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss(
        weight_column="label_weights"
    )
    features = {
        "x": np.array([[42], [43], [44]], np.int32),
        "label_weights": np.array([[1.0], [0.1], [1.5]], np.float32),
    }
    spec = head.create_estimator_spec(
        features=features,
        mode=ModeKeys.EVAL,
        logits=np.array([[45], [-41], [44]], np.int32),
        labels=np.array([[1], [1], [0]], np.int32),
    )
    loss, updated, values = _run_metrics(spec)
    label_mean = 0.42307692307
    expected = {
        "average_loss": 26.9615384615,
        "accuracy": 0.38461538461,
        "precision": 1.0 / 2.5,
        "recall": 1.0 / 1.1,
        "prediction/mean": 0.96153846153,
        "label/mean": label_mean,
        "accuracy_baseline": 1 - label_mean,
        "auc": 0.45454565,
        "auc_precision_recall": 0.6737757325172424,
    }
    np.testing.assert_allclose(loss, 70.1, rtol=1e-6)
    assert updated == pytest.approx(expected, rel=1e-5)
    assert values == pytest.approx(expected, rel=1e-5)


def test_regression_weighted_multi_example_eval():
    head = head_lib._regression_head(weight_column="label_weights")
    features = {
        "x": np.array([[42], [43], [44]], np.int32),
        "label_weights": np.array([[1.0], [0.1], [1.5]], np.float32),
    }
    logits = np.array([[45], [41], [44]], np.int32)
    spec = head.create_estimator_spec(
        features=features,
        mode=ModeKeys.EVAL,
        logits=logits,
        labels=np.array([[35], [42], [45]], np.int32),
    )
    loss, updated, _ = _run_metrics(spec)
    assert sorted(spec.eval_metric_ops) == ["average_loss", "label/mean", "prediction/mean"]
    np.testing.assert_allclose(loss, 101.6, rtol=1e-6)
    np.testing.assert_allclose(updated["average_loss"], 39.0769231, rtol=1e-6)
    np.testing.assert_allclose(updated["prediction/mean"], (45 + 4.1 + 66) / 2.6, rtol=1e-6)


def test_binary_predictions_and_export_outputs():
    head = head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss(
        label_vocabulary=["no", "yes"]
    )
    logits = np.array([[0.3], [-0.4]], np.float32)
    spec = head.create_estimator_spec(features={}, mode=ModeKeys.PREDICT, logits=logits)
    assert sorted(spec.export_outputs) == [
        "classification",
        "predict",
        "regression",
        "serving_default",
    ]
    with tf.Session() as session:
        session.run(tf.tables_initializer())
        predictions = session.run(spec.predictions)
    logistic = 1 / (1 + np.exp(-logits))
    np.testing.assert_allclose(predictions["logistic"], logistic, rtol=1e-6)
    np.testing.assert_allclose(
        predictions["probabilities"], np.hstack([1 - logistic, logistic]), rtol=1e-6
    )
    np.testing.assert_array_equal(predictions["class_ids"], [[1], [0]])
    np.testing.assert_array_equal(predictions["classes"], [[b"yes"], [b"no"]])
    np.testing.assert_array_equal(predictions["all_class_ids"], [[0, 1], [0, 1]])
    np.testing.assert_array_equal(predictions["all_classes"], [[b"no", b"yes"]] * 2)


def test_multi_class_predictions():
    head = head_lib._multi_class_head_with_softmax_cross_entropy_loss(3)
    logits = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    spec = head.create_estimator_spec(features={}, mode=ModeKeys.PREDICT, logits=logits)
    with tf.Session() as session:
        predictions = session.run(spec.predictions)
    softmax = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(predictions["probabilities"], softmax, rtol=1e-6)
    np.testing.assert_array_equal(predictions["classes"], [[b"0"], [b"2"]])
    np.testing.assert_array_equal(predictions["all_classes"], [[b"0", b"1", b"2"]] * 2)


def test_train_sums_the_loss_and_adds_regularization_and_summaries():
    head = head_lib._regression_head()
    seen = {}

    def train_op_fn(loss):
        seen["loss"] = loss
        return tf.no_op()

    spec = head.create_estimator_spec(
        features={},
        mode=ModeKeys.TRAIN,
        logits=np.array([[1.0], [2.0]], np.float32),
        labels=np.array([[0.0], [0.0]], np.float32),
        train_op_fn=train_op_fn,
        regularization_losses=[tf.constant(2.0)],
    )
    assert seen["loss"] is spec.loss
    summaries = {s.op.name for s in tf.get_collection(tf.GraphKeys.SUMMARIES)}
    assert summaries == {"loss", "average_loss", "regularization_loss"}
    with tf.Session() as session:
        assert session.run(spec.loss) == pytest.approx(1.0 + 4.0 + 2.0)


def test_head_errors():
    head = head_lib._multi_class_head_with_softmax_cross_entropy_loss(3)
    logits = np.zeros([2, 3], np.float32)
    with pytest.raises(ValueError, match="You must provide a labels Tensor. Given: None."):
        head.create_estimator_spec(features={}, mode=ModeKeys.EVAL, logits=logits)
    with pytest.raises(ValueError, match="Labels dtype should be integer. Instead got"):
        head.create_loss({}, ModeKeys.EVAL, logits, np.zeros([2, 1], np.float32))
    with pytest.raises(ValueError, match="Mismatched label shape. Expected labels dimension=1."):
        head.create_loss({}, ModeKeys.EVAL, logits, np.zeros([2, 2], np.int64))
    with pytest.raises(ValueError, match="logits shape must be \\[D0, D1, ... DN, logits_dim"):
        head.create_estimator_spec(features={}, mode=ModeKeys.PREDICT, logits=np.zeros([2, 2]))
    with pytest.raises(ValueError, match="train_op_fn and optimizer cannot both be None."):
        head.create_estimator_spec(
            features={}, mode=ModeKeys.TRAIN, logits=logits, labels=np.zeros([2, 1], np.int64)
        )
    with pytest.raises(ValueError, match="n_classes must be > 2: 2."):
        head_lib._multi_class_head_with_softmax_cross_entropy_loss(2)
    labels = tf.placeholder(tf.int64, [None, 1])
    loss_spec = head.create_loss({}, ModeKeys.EVAL, logits, labels)
    with tf.Session() as session:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Labels must <= n_classes - 1"):
            session.run(loss_spec.training_loss, {labels: [[0], [3]]})
