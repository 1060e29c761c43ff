"""`tf.layers.BatchNormalization`: weights, updates, and the same values as the function."""

import numpy as np

import flowgraph as tf


def test_batch_norm_class_weights_updates_and_values():
    x_val = np.random.RandomState(0).randn(8, 3).astype(np.float32) * 2.0 + 1.0
    x = tf.placeholder(tf.float32, [None, 3])
    bn = tf.layers.BatchNormalization(momentum=0.5)
    y = bn(x, training=True)
    assert [v.name for v in bn.trainable_weights] == [
        "batch_normalization/gamma:0", "batch_normalization/beta:0",
    ]  # fmt: skip
    assert [v.name for v in bn.non_trainable_weights] == [
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0",
    ]  # fmt: skip
    assert len(bn.updates) == 2 and bn.updates == tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    inference = bn(x)  # reuses the variables, adds no updates
    assert len(bn.updates) == 2 and len(tf.global_variables()) == 4
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out, _ = sess.run([y, bn.updates], {x: x_val})
        moving_mean, inferred = sess.run([bn.moving_mean, inference], {x: x_val})
    mean, var = x_val.mean(0), x_val.var(0)
    np.testing.assert_allclose(out, (x_val - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(moving_mean, 0.5 * mean, rtol=1e-5)
    expected = (x_val - moving_mean) / np.sqrt(0.5 + 0.5 * var + 1e-3)
    np.testing.assert_allclose(inferred, expected, rtol=1e-4, atol=1e-5)
