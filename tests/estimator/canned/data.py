"""A small synthetic problem for the canned estimators, and the same models written as
plain TF1 graph code (a Session loop) to compare against."""

from __future__ import annotations

import numpy as np

import flowgraph as tf

_RNG = np.random.RandomState(42)
N_TRAIN, N_EVAL = 512, 256


def _make(n):
    x = _RNG.randn(n, 2).astype(np.float32)
    group = _RNG.randint(0, 4, n).astype(np.int64)
    score = 2.0 * x[:, 0] - 1.5 * x[:, 1] + np.array([-1.0, 0.0, 1.0, 0.5])[group]
    label = (score + 0.3 * _RNG.randn(n) > 0).astype(np.int64)
    target = (score + 0.1 * _RNG.randn(n)).astype(np.float32)
    names = np.array(["north", "east", "south", "west"])[group]
    return {"x": x, "group": group, "region": names}, label, target


TRAIN, EVAL = _make(N_TRAIN), _make(N_EVAL)


def columns():
    x = tf.feature_column.numeric_column("x", shape=[2])
    group = tf.feature_column.categorical_column_with_identity("group", 4)
    return x, group


def region_column():
    """`group` again, as strings looked up in a vocabulary."""
    return tf.feature_column.categorical_column_with_vocabulary_list(
        "region", ["north", "east", "south", "west"]
    )


def input_fn(data, labels, epochs=None, shuffle=True, batch_size=32):
    return tf.estimator.inputs.numpy_input_fn(
        data, labels, batch_size=batch_size, num_epochs=epochs, shuffle=shuffle
    )


def plain_logistic_regression_accuracy(steps, learning_rate=0.1, batch_size=32):
    """Accuracy on EVAL of `sigmoid([x, one_hot(group)] w + b)`, trained with Adagrad on the
    summed cross entropy of TRAIN batches, by hand, in a Session loop."""
    features = np.hstack([TRAIN[0]["x"], np.eye(4)[TRAIN[0]["group"]]]).astype(np.float32)
    eval_features = np.hstack([EVAL[0]["x"], np.eye(4)[EVAL[0]["group"]]]).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 6])
        y = tf.placeholder(tf.float32, [None])
        w = tf.Variable(tf.zeros([6, 1]))
        b = tf.Variable(tf.zeros([1]))
        logits = tf.squeeze(tf.matmul(x, w) + b, 1)
        loss = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
        train = tf.train.AdagradOptimizer(learning_rate).minimize(loss)
        with tf.Session() as session:
            session.run(tf.global_variables_initializer())
            for _ in range(steps):
                rows = _RNG.randint(0, N_TRAIN, batch_size)
                session.run(train, {x: features[rows], y: TRAIN[1][rows]})
            predicted = session.run(logits, {x: eval_features}) > 0
    return float(np.mean(predicted == EVAL[1]))


def least_squares_mse():
    """The eval mean squared error of the exact least-squares fit on TRAIN."""

    def design(data):
        return np.hstack([data["x"], np.eye(4)[data["group"]]])

    coefficients, *_ = np.linalg.lstsq(design(TRAIN[0]), TRAIN[2], rcond=None)
    return float(np.mean((design(EVAL[0]) @ coefficients - EVAL[2]) ** 2))
