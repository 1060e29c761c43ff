"""The canned estimators (DNN, linear, wide & deep; classifiers and regressors) on a small
synthetic problem: they reach what the same model trained by plain TF1 code reaches, keep
TF 1.15's variable names, metric keys and prediction keys, export and serve, and refuse
bad input with TF's errors."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.estimator.canned.data import (
    EVAL,
    TRAIN,
    columns,
    input_fn,
    least_squares_mse,
    plain_logistic_regression_accuracy,
    region_column,
)

STEPS = 150
CLASSIFIER_METRICS = {
    "accuracy",
    "accuracy_baseline",
    "auc",
    "auc_precision_recall",
    "average_loss",
    "label/mean",
    "loss",
    "precision",
    "prediction/mean",
    "recall",
    "global_step",
}


@pytest.fixture(scope="module")
def plain_accuracy():
    return plain_logistic_regression_accuracy(STEPS)


def _train_and_evaluate(estimator, targets=1):
    estimator.train(input_fn(TRAIN[0], TRAIN[targets]), steps=STEPS)
    return estimator.evaluate(input_fn(EVAL[0], EVAL[targets], epochs=1, shuffle=False))


def test_linear_classifier(tmp_path, plain_accuracy):
    x, _ = columns()
    estimator = tf.estimator.LinearClassifier([x, region_column()], model_dir=str(tmp_path))
    metrics = _train_and_evaluate(estimator)
    assert set(metrics) == CLASSIFIER_METRICS
    assert metrics["accuracy"] >= plain_accuracy - 0.03 and plain_accuracy > 0.85
    assert metrics["global_step"] == STEPS
    np.testing.assert_allclose(metrics["label/mean"], EVAL[1].mean(), rtol=1e-6)
    np.testing.assert_allclose(
        metrics["accuracy_baseline"], max(EVAL[1].mean(), 1 - EVAL[1].mean()), rtol=1e-6
    )
    names = estimator.get_variable_names()
    for name in (
        "linear/linear_model/x/weights",
        "linear/linear_model/region/weights",
        "linear/linear_model/bias_weights",
        "linear/linear_model/x/weights/part_0/Ftrl",
    ):
        assert name in names
    assert estimator.get_variable_value("linear/linear_model/x/weights").shape == (2, 1)


def test_dnn_classifier_predictions_and_export(tmp_path, plain_accuracy):
    x, group = columns()
    estimator = tf.estimator.DNNClassifier(
        hidden_units=[8, 4],
        feature_columns=[x, tf.feature_column.indicator_column(group)],
        model_dir=str(tmp_path / "model"),
        optimizer=tf.train.AdagradOptimizer(0.1),
        config=tf.estimator.RunConfig(tf_random_seed=3),
    )
    metrics = _train_and_evaluate(estimator)
    assert metrics["accuracy"] >= plain_accuracy - 0.03
    names = set(estimator.get_variable_names())
    assert {
        "dnn/hiddenlayer_0/kernel",
        "dnn/hiddenlayer_1/bias",
        "dnn/logits/kernel",
        "dnn/hiddenlayer_0/kernel/t_0/Adagrad",
    } <= names
    predictions = list(estimator.predict(input_fn(EVAL[0], None, epochs=1, shuffle=False)))
    first = predictions[0]
    assert sorted(first) == [
        "all_class_ids",
        "all_classes",
        "class_ids",
        "classes",
        "logistic",
        "logits",
        "probabilities",
    ]
    np.testing.assert_allclose(first["logistic"], 1 / (1 + np.exp(-first["logits"])), rtol=1e-5)
    assert first["classes"][0] == str(first["class_ids"][0]).encode()
    accuracy = np.mean([p["class_ids"][0] for p in predictions] == EVAL[1])
    np.testing.assert_allclose(accuracy, metrics["accuracy"], atol=1e-6)

    spec = tf.feature_column.make_parse_example_spec([x, group])
    receiver_fn = tf.estimator.export.build_parsing_serving_input_receiver_fn(spec)
    export_dir = estimator.export_saved_model(str(tmp_path / "export"), receiver_fn)
    example = tf.train.Example(
        features=tf.train.Features(
            feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=EVAL[0]["x"][0])),
                "group": tf.train.Feature(
                    int64_list=tf.train.Int64List(value=[EVAL[0]["group"][0]])
                ),
            }
        )
    )
    with tf.Graph().as_default(), tf.Session() as session:
        meta_graph = tf.saved_model.loader.load(session, ["serve"], export_dir)
        assert sorted(meta_graph.signature_def) == [
            "classification",
            "predict",
            "regression",
            "serving_default",
        ]
        classify = meta_graph.signature_def["serving_default"]
        assert classify.method_name == "tensorflow/serving/classify"
        scores = session.run(
            classify.outputs["scores"].name,
            {classify.inputs["inputs"].name: [example.SerializeToString()]},
        )
    np.testing.assert_allclose(scores[0], first["probabilities"], rtol=1e-5)


def test_dnn_linear_combined_classifier(tmp_path, plain_accuracy):
    x, group = columns()
    estimator = tf.estimator.DNNLinearCombinedClassifier(
        model_dir=str(tmp_path),
        linear_feature_columns=[group],
        dnn_feature_columns=[x],
        dnn_hidden_units=[8],
        dnn_optimizer=tf.train.AdagradOptimizer(0.1),
        linear_optimizer=tf.train.FtrlOptimizer(0.2),
    )
    metrics = _train_and_evaluate(estimator)
    assert metrics["accuracy"] >= plain_accuracy - 0.03
    assert metrics["global_step"] == STEPS  # one step per batch, both optimizers in it
    names = set(estimator.get_variable_names())
    assert {"dnn/hiddenlayer_0/kernel", "linear/linear_model/group/weights"} <= names


def test_regressors_reach_least_squares(tmp_path):
    x, group = columns()
    best = least_squares_mse()
    linear = tf.estimator.LinearRegressor(
        [x, group], model_dir=str(tmp_path / "linear"), optimizer=tf.train.FtrlOptimizer(0.5)
    )
    linear_metrics = _train_and_evaluate(linear, targets=2)
    assert sorted(linear_metrics) == [
        "average_loss",
        "global_step",
        "label/mean",
        "loss",
        "prediction/mean",
    ]
    assert linear_metrics["average_loss"] < best + 0.1
    dnn = tf.estimator.DNNRegressor(
        [16],
        [x, tf.feature_column.indicator_column(group)],
        model_dir=str(tmp_path / "dnn"),
        optimizer=tf.train.AdamOptimizer(0.05),
    )
    dnn_metrics = _train_and_evaluate(dnn, targets=2)
    assert dnn_metrics["average_loss"] < best + 0.15
    # `loss` is the mean over eval batches of the batch's summed squared error.
    assert dnn_metrics["loss"] == pytest.approx(dnn_metrics["average_loss"] * 32, rel=1e-4)
    prediction = next(dnn.predict(input_fn(EVAL[0], None, epochs=1, shuffle=False)))
    assert sorted(prediction) == ["predictions"]


def test_multi_class_with_label_vocabulary(tmp_path):
    x, group = columns()
    names = np.array(["low", "mid", "high"])
    labels = names[np.digitize(TRAIN[2], [-1.0, 1.0])]
    estimator = tf.estimator.DNNClassifier(
        [8],
        [x, tf.feature_column.indicator_column(group)],
        model_dir=str(tmp_path),
        n_classes=3,
        label_vocabulary=list(names),
        optimizer=tf.train.AdagradOptimizer(0.2),
    )
    estimator.train(input_fn(TRAIN[0], labels), steps=100)
    eval_labels = names[np.digitize(EVAL[2], [-1.0, 1.0])]
    metrics = estimator.evaluate(input_fn(EVAL[0], eval_labels, epochs=1, shuffle=False))
    assert sorted(metrics) == ["accuracy", "average_loss", "global_step", "loss"]
    assert metrics["accuracy"] > 0.75
    prediction = next(estimator.predict(input_fn(EVAL[0], None, epochs=1, shuffle=False)))
    assert list(prediction["all_classes"]) == [b"low", b"mid", b"high"]
    assert prediction["classes"][0] == names[prediction["class_ids"][0]].encode()
    assert prediction["probabilities"].shape == (3,)


def test_bad_input(tmp_path):
    x, group = columns()
    estimator = tf.estimator.LinearClassifier([x, group], model_dir=str(tmp_path))
    only_x = {"x": TRAIN[0]["x"]}
    with pytest.raises(ValueError, match="^Feature group is not in features dictionary.$"):
        estimator.train(input_fn(only_x, TRAIN[1]), steps=1)

    def not_a_dict():
        return tf.constant(TRAIN[0]["x"]), tf.constant(TRAIN[1])

    with pytest.raises(ValueError, match="features should be a dictionary of `Tensor`s."):
        estimator.train(not_a_dict, steps=1)
    float_labels = input_fn(TRAIN[0], TRAIN[2])
    multi = tf.estimator.DNNClassifier([4], [x], n_classes=3, model_dir=str(tmp_path / "m"))
    with pytest.raises(ValueError, match="Labels dtype should be integer. Instead got"):
        multi.train(float_labels, steps=1)
    with pytest.raises(ValueError, match="Unsupported optimizer name: Nope."):
        tf.estimator.DNNRegressor([4], [x], optimizer="Nope").train(
            input_fn(TRAIN[0], TRAIN[2]), steps=1
        )
    with pytest.raises(ValueError, match="Either linear_feature_columns or dnn_feature_columns"):
        tf.estimator.DNNLinearCombinedClassifier()
