"""tf.losses against numpy: each loss, every Reduction, weights, label smoothing, and the
LOSSES / REGULARIZATION_LOSSES collections."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients

OP_TYPES_TESTED: set = set()  # composites of existing ops only
GRADIENT_CHECKED: set = set()
NOT_DIFFERENTIABLE: dict = {}

R = tf.losses.Reduction
rng = np.random.RandomState(1)
Y, P = rng.rand(4, 3).astype(np.float32), rng.rand(4, 3).astype(np.float32)
W = np.array([[1.0], [0.0], [2.0], [0.5]], np.float32)


def _reduce(losses, weights, reduction):
    weighted = losses * weights
    full = weights * np.ones_like(losses)
    return {
        R.NONE: weighted,
        R.SUM: weighted.sum(),
        R.MEAN: weighted.sum() / full.sum(),
        R.SUM_OVER_BATCH_SIZE: weighted.sum() / losses.size,
        R.SUM_BY_NONZERO_WEIGHTS: weighted.sum() / (full != 0).sum(),
    }[reduction]


_REFS = {
    "mean_squared_error": lambda y, p: (p - y) ** 2,
    "absolute_difference": lambda y, p: np.abs(p - y),
    "log_loss": lambda y, p: -y * np.log(p + 1e-7) - (1 - y) * np.log(1 - p + 1e-7),
    "hinge_loss": lambda y, p: np.maximum(0, 1 - (2 * np.round(y) - 1) * p),
    "huber_loss": lambda y, p: np.where(np.abs(p - y) <= 1.0, 0.5 * (p - y) ** 2,
                                        np.abs(p - y) - 0.5),
}


@pytest.mark.parametrize("reduction", [R.NONE, R.SUM, R.MEAN, R.SUM_OVER_BATCH_SIZE,
                                       R.SUM_BY_NONZERO_WEIGHTS])
@pytest.mark.parametrize("name", sorted(_REFS))
def test_loss_against_numpy(name, reduction):
    y = np.round(Y) if name == "hinge_loss" else Y
    p = P * 3 if name == "huber_loss" else P
    with tf.Graph().as_default():
        loss = getattr(tf.losses, name)(y, p, weights=W, reduction=reduction)
        assert tf.losses.get_losses() == [loss]
        assert loss.op.name.startswith(name)
        with tf.Session() as sess:
            got = sess.run(loss)
    np.testing.assert_allclose(got, _reduce(_REFS[name](y, p), W, reduction), 1e-5, 1e-6)


def test_cross_entropies_with_label_smoothing():
    logits = rng.randn(4, 3).astype(np.float32)
    onehot = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    with tf.Graph().as_default():
        s = tf.losses.softmax_cross_entropy(onehot, logits, label_smoothing=0.3,
                                            weights=W[:, 0])
        sp = tf.losses.sparse_softmax_cross_entropy([0, 2, 1, 2], logits,
                                                    reduction=R.NONE)
        sg = tf.losses.sigmoid_cross_entropy(onehot, logits, label_smoothing=0.2)
        with tf.Session() as sess:
            got_s, got_sp, got_sg = sess.run([s, sp, sg])
        assert len(tf.losses.get_losses()) == 3
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    smooth = onehot * 0.7 + 0.1
    per_row = -(smooth * logp).sum(1)
    np.testing.assert_allclose(got_s, (per_row * W[:, 0]).sum() / 3, 1e-5)
    np.testing.assert_allclose(got_sp, -(onehot * logp).sum(1), 1e-5)
    z = onehot * 0.8 + 0.1
    ref = np.maximum(logits, 0) - logits * z + np.log1p(np.exp(-np.abs(logits)))
    np.testing.assert_allclose(got_sg, ref.mean(), 1e-5)
    check_gradients(lambda x: tf.losses.softmax_cross_entropy(onehot, x, label_smoothing=0.1),
                    logits.astype(np.float64), atol=2e-3, rtol=2e-3, delta=1e-2)


def test_cosine_distance_and_errors():
    a = rng.randn(4, 3)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b = rng.randn(4, 3)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    with tf.Graph().as_default():
        loss = tf.losses.cosine_distance(a, b, axis=1, reduction=R.NONE)
        assert loss.shape.as_list() == [4, 1]
        with pytest.raises(ValueError, match="specify 'axis'"):
            tf.losses.cosine_distance(a, b)
        with pytest.raises(ValueError, match="Invalid Reduction Key"):
            tf.losses.mean_squared_error(a, b, reduction="bogus")
        with pytest.raises(ValueError, match="labels must not be None"):
            tf.losses.mean_squared_error(None, b)
        with pytest.raises(ValueError):
            tf.losses.mean_squared_error(a, b[:, :2])
        with tf.Session() as sess:
            got = sess.run(loss)
    np.testing.assert_allclose(got[:, 0], 1 - (a * b).sum(1), 1e-6)


def test_all_zero_weights_give_zero_and_collections():
    with tf.Graph().as_default():
        zero = tf.losses.absolute_difference(Y, P, weights=0.0)
        mean0 = tf.losses.absolute_difference(Y, P, weights=np.zeros([4, 1]), reduction=R.MEAN,
                                              loss_collection=None)
        assert tf.losses.get_losses() == [zero]
        tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.constant(2.0))
        tf.losses.add_loss(tf.constant(3.0))
        total = tf.losses.get_total_loss()
        no_reg = tf.losses.get_total_loss(add_regularization_losses=False)
        reg = tf.losses.get_regularization_loss()
        assert total.op.name == "total_loss"
        with tf.Session() as sess:
            assert sess.run([zero, mean0, total, no_reg, reg]) == [0.0, 0.0, 5.0, 3.0, 2.0]
    with tf.Graph().as_default():
        with tf.Session() as sess:
            assert sess.run(tf.losses.get_regularization_loss()) == 0.0


def test_sparse_softmax_cross_entropy_squeezes_labels_and_weights_of_shape_n_1():
    # TensorFlow 1.x's value for the same inputs (its _remove_squeezable_dimensions).
    with tf.Graph().as_default():
        loss = tf.losses.sparse_softmax_cross_entropy(
            np.array([[2], [0]]),
            np.array([[1.0, 0, 3], [0.5, 0, 1]], np.float32),
            weights=np.array([[1.0], [3.0]], np.float32),
        )
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(loss), 1.8553276, rtol=1e-6)
