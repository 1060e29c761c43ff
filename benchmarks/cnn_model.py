"""The benchmark CNN's sizes, weights and batch, in numpy only (shared by the flowgraph,
jax and TensorFlow sides of `train_step.py`; `tf_cnn_worker.py` runs under TensorFlow)."""

from __future__ import annotations

import numpy as np

CNN_BATCH = 64
CNN_LR, CNN_MOMENTUM = 0.01, 0.9
CNN_SHAPES = (
    (5, 5, 1, 32),
    (32,),  # conv1 + bias
    (5, 5, 32, 64),
    (64,),  # conv2 + bias
    (7 * 7 * 64, 1024),
    (1024,),  # dense 1024
    (1024, 10),
    (10,),  # dense 10
)
CNN_NAMES = ("conv1/w", "conv1/b", "conv2/w", "conv2/b", "fc1/w", "fc1/b", "fc2/w", "fc2/b")


def cnn_initial_weights(seed: int = 0) -> list[np.ndarray]:
    """Glorot-uniform-like kernels (fans from the receptive field), zero biases."""
    rng = np.random.default_rng(seed)
    params = []
    for shape in CNN_SHAPES:
        if len(shape) == 1:
            params.append(np.zeros(shape, np.float32))
            continue
        receptive = int(np.prod(shape[:-2]))
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, shape).astype(np.float32))
    return params


def cnn_batch(seed: int = 1, size: int = CNN_BATCH) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(size, 28, 28, 1)).astype(np.float32),
        rng.integers(0, 10, size).astype(np.int32),
    )


def cnn_graph(tf, weights):
    """The CNN in the TF1 API of `tf` (flowgraph or TensorFlow's compat.v1): returns the
    placeholders x, y, the loss and the Momentum train op."""
    x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
    y = tf.placeholder(tf.int32, [None], name="y")
    p = [tf.get_variable(n, initializer=w) for n, w in zip(CNN_NAMES, weights)]
    h = x
    for i in (0, 2):
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, p[i], [1, 1, 1, 1], "SAME"), p[i + 1]))
        h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    h = tf.reshape(h, [-1, 7 * 7 * 64])
    h = tf.nn.relu(tf.matmul(h, p[4]) + p[5])
    logits = tf.matmul(h, p[6]) + p[7]
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = tf.train.MomentumOptimizer(CNN_LR, CNN_MOMENTUM).minimize(loss)
    return x, y, loss, train
