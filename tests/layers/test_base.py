"""`tf.layers.Layer`: scopes, names, weights, losses and updates of layer objects."""

import numpy as np
import pytest

import flowgraph as tf


def test_a_layer_called_twice_shares_its_variables_and_name_scope():
    x1, x2 = tf.placeholder(tf.float32, [None, 4]), tf.placeholder(tf.float32, [None, 4])
    layer = tf.layers.Dense(3)
    y1, y2 = layer(x1), layer.apply(x2)
    assert [v.name for v in layer.trainable_weights] == ["dense/kernel:0", "dense/bias:0"]
    assert y1.op.name.startswith("dense/") and y2.op.name.startswith("dense/")
    assert y1.op.name != y2.op.name
    assert layer.scope_name == "dense" and layer.built
    assert len(tf.global_variables()) == 2
    feed = {x1: np.ones([2, 4]), x2: np.ones([2, 4])}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([y1, y2], feed)
    np.testing.assert_allclose(a, b)


def test_layers_with_one_name_get_unique_scopes():
    x = tf.placeholder(tf.float32, [None, 4])
    a, b = tf.layers.Dense(2, name="fc"), tf.layers.Dense(2, name="fc")
    a(x), b(x)
    assert a.name == b.name == "fc"
    assert [v.name for v in b.weights] == ["fc_1/kernel:0", "fc_1/bias:0"]
    unnamed = [tf.layers.Dense(1) for _ in range(2)]
    assert [layer.name for layer in unnamed] == ["dense", "dense_1"]


def test_scope_name_before_first_call_is_an_error():
    with pytest.raises(ValueError, match="has not been used yet"):
        _ = tf.layers.Dense(2).scope_name


def test_non_trainable_layer_weights():
    layer = tf.layers.Dense(2, trainable=False)
    layer(tf.placeholder(tf.float32, [None, 3]))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    assert tf.trainable_variables() == []
    assert layer.count_params() == 3 * 2 + 2


def test_losses_are_the_layers_regularization_losses():
    x = tf.placeholder(tf.float32, [None, 2])
    layer = tf.layers.Dense(
        2,
        kernel_initializer=tf.ones_initializer(),
        kernel_regularizer=lambda w: tf.reduce_sum(w),
        activity_regularizer=lambda y: tf.reduce_sum(y),
    )
    other = tf.layers.Dense(2, kernel_regularizer=lambda w: tf.reduce_sum(w))
    layer(x), other(x)
    assert len(layer.losses) == 2 and len(other.losses) == 1
    assert set(layer.losses) | set(other.losses) == set(
        tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    )
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kernel_loss, activity_loss = sess.run(layer.losses, {x: [[1.0, 2.0], [3.0, 4.0]]})
    assert kernel_loss == 4.0  # sum of a 2x2 ones kernel
    assert activity_loss == pytest.approx((3 + 3 + 7 + 7) / 2)  # averaged over the batch


def test_subclass_builds_with_add_weight_and_add_update():
    class Scale(tf.layers.Layer):
        def build(self, input_shape):
            self.factor = self.add_weight("factor", [int(input_shape[-1])],
                                          initializer=tf.constant_initializer(2.0))  # fmt: skip
            self.count = self.add_weight(
                "count", [], initializer=tf.zeros_initializer(), trainable=False
            )

        def call(self, inputs):
            self.add_update(tf.assign_add(self.count, 1.0))
            return inputs * self.factor

    layer = Scale(name="scale")
    y = layer(tf.constant([[1.0, 3.0]]))
    assert layer.factor.name == "scale/factor:0"
    assert layer.non_trainable_weights == [layer.count] and len(layer.updates) == 1
    assert layer.updates == tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(y), [[2.0, 6.0]])
        sess.run(layer.updates)
        assert sess.run(layer.count) == 1.0


def test_input_spec_checks_rank():
    with pytest.raises(ValueError, match="expected ndim=4"):
        tf.layers.Conv2D(2, 3)(tf.placeholder(tf.float32, [None, 5, 3]))


def test_base_layer_is_the_identity_and_rejects_unknown_arguments():
    x = tf.constant([1.0])
    assert tf.layers.Layer(name="base")(x) is x
    with pytest.raises(TypeError, match="Keyword argument not understood: units2"):
        tf.layers.Dense(2, units2=3)
