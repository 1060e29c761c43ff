"""Small models and data the estimator tests share."""

from __future__ import annotations

import numpy as np

import flowgraph as tf

RNG = np.random.RandomState(0)
X = RNG.randn(64, 3).astype(np.float32)
W = np.array([[1.5], [-2.0], [0.5]], np.float32)
Y = (X @ W + 0.25).astype(np.float32)


def train_input_fn(batch_size=16):
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).repeat().batch(batch_size)


def eval_input_fn():
    return tf.data.Dataset.from_tensor_slices(({"x": X}, Y)).batch(16)


def linear_model_fn(features, labels, mode, params):
    """Linear regression with a `tf.layers.dense` named `out` and an MAE metric."""
    predictions = tf.layers.dense(features["x"], 1, name="out")
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": predictions})
    loss = tf.losses.mean_squared_error(labels, predictions)
    optimizer = tf.train.GradientDescentOptimizer(params.get("learning_rate", 0.1))
    train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
    metrics = {"mae": tf.metrics.mean_absolute_error(labels, predictions)}
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops=metrics)


def linear_estimator(model_dir, **config):
    config = tf.estimator.RunConfig(**config)
    return tf.estimator.Estimator(
        linear_model_fn, model_dir=str(model_dir), config=config, params={"learning_rate": 0.1}
    )
