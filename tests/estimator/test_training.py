"""tf.estimator.train_and_evaluate (local) with TrainSpec/EvalSpec, and a program in the
shape of TensorFlow's TF1 custom-estimator tutorial (input_fn from tf.data, model_fn with
tf.layers, train_and_evaluate, an exporter)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import flowgraph as tf
from tests.estimator.models import eval_input_fn, linear_estimator, train_input_fn


def test_specs_validate_like_tf():
    with pytest.raises(TypeError, match="`input_fn` must be callable, given: 1"):
        tf.estimator.TrainSpec(1)
    with pytest.raises(ValueError, match="Must specify max_steps > 0, given: 0"):
        tf.estimator.TrainSpec(train_input_fn, max_steps=0)
    with pytest.raises(TypeError, match="All hooks must be `SessionRunHook` instances"):
        tf.estimator.TrainSpec(train_input_fn, hooks=[1])
    with pytest.raises(ValueError, match="Must specify steps > 0, given: -1"):
        tf.estimator.EvalSpec(eval_input_fn, steps=-1)
    with pytest.raises(TypeError, match="`name` must be string, given: 3"):
        tf.estimator.EvalSpec(eval_input_fn, name=3)
    with pytest.raises(TypeError, match="`exporters` must be an Exporter"):
        tf.estimator.EvalSpec(eval_input_fn, exporters=[1])
    with pytest.raises(ValueError, match="Must specify throttle_secs >= 0, given: -1"):
        tf.estimator.EvalSpec(eval_input_fn, throttle_secs=-1)
    spec = tf.estimator.EvalSpec(eval_input_fn)
    assert (spec.steps, spec.start_delay_secs, spec.throttle_secs) == (100, 120, 600)
    with pytest.raises(TypeError, match="`eval_spec` must have type `tf.estimator.EvalSpec`"):
        tf.estimator.train_and_evaluate(None, tf.estimator.TrainSpec(train_input_fn), None)


def test_evaluates_after_checkpoints_and_at_the_end(tmp_path):
    estimator = linear_estimator(tmp_path, save_checkpoints_steps=10)
    evaluated = []

    class Record(tf.train.SessionRunHook):
        def end(self, session):
            evaluated.append(session.run(tf.train.get_global_step()))

    metrics, exports = tf.estimator.train_and_evaluate(
        estimator,
        tf.estimator.TrainSpec(train_input_fn, max_steps=25),
        tf.estimator.EvalSpec(eval_input_fn, steps=None, hooks=[Record()], throttle_secs=0),
    )
    assert evaluated == [10, 20, 25]
    assert metrics["global_step"] == 25 and exports == []
    assert metrics == pytest.approx(estimator.evaluate(eval_input_fn))


def _iris_like(n, seed):
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 3, n)
    centers = np.array([[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]])
    features = centers[labels] + 0.25 * rng.randn(n, 4)
    names = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth"]
    return {k: features[:, i].astype(np.float32) for i, k in enumerate(names)}, labels


TRAIN, TEST = _iris_like(240, 0), _iris_like(90, 1)


def _train_input_fn(batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((dict(TRAIN[0]), TRAIN[1]))
    return dataset.shuffle(1000).repeat().batch(batch_size)


def _eval_input_fn():
    return tf.data.Dataset.from_tensor_slices((dict(TEST[0]), TEST[1])).batch(30)


def _tutorial_model_fn(features, labels, mode, params):
    net = tf.concat([tf.expand_dims(features[k], 1) for k in sorted(features)], axis=1)
    for units in params["hidden_units"]:
        net = tf.layers.dense(net, units=units, activation=tf.nn.relu)
    logits = tf.layers.dense(net, params["n_classes"], activation=None)
    predicted_classes = tf.argmax(logits, 1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        predictions = {
            "class_ids": predicted_classes[:, tf.newaxis],
            "probabilities": tf.nn.softmax(logits),
            "logits": logits,
        }
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    accuracy = tf.metrics.accuracy(labels=labels, predictions=predicted_classes, name="acc_op")
    metrics = {"accuracy": accuracy}
    tf.summary.scalar("accuracy", accuracy[1])
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops=metrics)
    optimizer = tf.train.AdagradOptimizer(learning_rate=0.1)
    train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def test_tf1_tutorial_program(tmp_path):
    classifier = tf.estimator.Estimator(
        model_fn=_tutorial_model_fn,
        model_dir=str(tmp_path),
        params={"hidden_units": [10, 10], "n_classes": 3},
        config=tf.estimator.RunConfig(save_checkpoints_steps=100, tf_random_seed=1),
    )
    columns = {k: tf.placeholder(tf.float32, [None]) for k in TRAIN[0]}
    exporter = tf.estimator.LatestExporter(
        "latest",
        tf.estimator.export.build_raw_serving_input_receiver_fn(columns),
        exports_to_keep=1,
    )
    train_spec = tf.estimator.TrainSpec(input_fn=lambda: _train_input_fn(32), max_steps=300)
    eval_spec = tf.estimator.EvalSpec(_eval_input_fn, steps=None, exporters=exporter,
                                      throttle_secs=0)  # fmt: skip
    metrics, exports = tf.estimator.train_and_evaluate(classifier, train_spec, eval_spec)
    assert metrics["accuracy"] > 0.9 and metrics["global_step"] == 300
    (export_dir,) = exports
    assert os.listdir(os.path.dirname(export_dir)) == [os.path.basename(export_dir)]
    predictions = classifier.predict(
        lambda: tf.data.Dataset.from_tensor_slices(dict(TEST[0])).batch(30)
    )
    class_ids = np.array([p["class_ids"][0] for p in predictions])
    np.testing.assert_allclose(np.mean(class_ids == TEST[1]), metrics["accuracy"], atol=1e-6)
