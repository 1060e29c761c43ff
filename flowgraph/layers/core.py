"""`tf.layers` core layers: `Dense`, `Dropout`, `Flatten` and their functional forms."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.layers.base import InputSpec, Layer, is_channels_first, static_dim
from flowgraph.ops import array_ops, init_ops, linalg_ops, math_ops, nn_ops
from flowgraph.ops.constant_op import convert_to_tensor


class Dense(Layer):
    """Densely-connected layer class: `outputs = activation(inputs @ kernel + bias)`.

    Creates `kernel` ([input_dim, units]) and `bias` ([units]); inputs of rank > 2 are
    contracted over their last axis (`tensordot`), keeping the leading dimensions.

    Example:
      >>> layer = tf.layers.Dense(10, activation=tf.nn.relu)
      >>> y = layer(x)                            # vars dense/kernel, dense/bias
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):  # fmt: skip
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)  # fmt: skip
        self.units = int(units)
        self.activation, self.use_bias = activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        depth = static_dim(input_shape, -1, "Dense")
        self.kernel = self.add_weight("kernel", [depth, self.units], None,
                                      self.kernel_initializer, self.kernel_regularizer,
                                      constraint=self.kernel_constraint)  # fmt: skip
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.units], None, self.bias_initializer,
                                        self.bias_regularizer,
                                        constraint=self.bias_constraint)  # fmt: skip

    def call(self, inputs):
        rank = inputs.shape.ndims
        if rank > 2:
            outputs = linalg_ops.tensordot(inputs, self.kernel, [[rank - 1], [0]])
            outputs.set_shape(inputs.shape[:-1].concatenate([self.units]))
        else:
            outputs = math_ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias)
        return outputs if self.activation is None else self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1].concatenate([self.units])


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=init_ops.zeros_initializer(), kernel_regularizer=None,
          bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
          bias_constraint=None, trainable=True, name=None, reuse=None):  # fmt: skip
    """Functional interface for the densely-connected layer (`Dense`).

    Example:
      >>> y = tf.layers.dense(x, 10, activation=tf.nn.relu)   # vars dense/kernel, dense/bias
    """
    layer = Dense(units, activation, use_bias, kernel_initializer, bias_initializer,
                  kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
                  bias_constraint, trainable, name=name, _scope=name, _reuse=reuse)  # fmt: skip
    return layer.apply(inputs)


class Dropout(Layer):
    """Applies Dropout to the input when `training`; the identity otherwise.

    `training` (a call argument) is a Python bool or a scalar bool tensor (then both
    branches are built and `tf.where` selects one).

    Example:
      >>> y = tf.layers.Dropout(rate=0.1)(x, training=is_training)
    """

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed

    def call(self, inputs, training=False):
        if isinstance(training, bool):
            if not training:
                return array_ops.identity(inputs)
            return self._drop(inputs)
        return select(training, self._drop(inputs), inputs)

    def _drop(self, inputs):
        return nn_ops.dropout(inputs, noise_shape=self.noise_shape, seed=self.seed, rate=self.rate)

    def compute_output_shape(self, input_shape):
        return input_shape


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Functional interface for the dropout layer (`Dropout`).

    Example:
      >>> y = tf.layers.dropout(x, rate=0.1, training=is_training)
    """
    return Dropout(rate, noise_shape, seed, name=name, _scope=name).apply(inputs, training=training)


def select(flag, when_true, when_false):
    """`where` on a scalar bool tensor, broadcast to the branches' shape."""
    flag = convert_to_tensor(flag, dtype=dtypes.bool, name="training")
    mask = array_ops.fill(array_ops.shape(when_true), flag)
    out = array_ops.where(mask, when_true, when_false)
    out.set_shape(when_true.shape)
    return out


class Flatten(Layer):
    """Flattens an input tensor while preserving the batch axis (axis 0).

    With 'channels_first' the channels are moved last first, so the flattened order
    matches a channels_last model, as TF1.

    Example:
      >>> tf.layers.Flatten()(x).shape   # x: [None, 4, 4, 8] -> [None, 128]
    """

    def __init__(self, data_format="channels_last", **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format
        self._channels_first = is_channels_first(data_format)

    def call(self, inputs):
        rank = inputs.shape.ndims
        if self._channels_first and rank is not None and rank > 2:
            inputs = array_ops.transpose(inputs, [0, *range(2, rank), 1])
        if rank == 1:
            return array_ops.expand_dims(array_ops.reshape(inputs, [-1]), 1)
        dims = inputs.shape.as_list() if rank is not None else []
        rest = dims[1:]
        if rest and all(d is not None for d in rest):
            batch = dims[0] if dims[0] is not None else -1
            return array_ops.reshape(inputs, [batch, _product(rest)])
        return array_ops.reshape(inputs, array_ops.stack([array_ops.shape(inputs)[0], -1]))

    def compute_output_shape(self, input_shape):
        dims = input_shape.as_list()
        rest = dims[1:]
        flat = _product(rest) if all(d is not None for d in rest) else None
        return input_shape[:1].concatenate([flat])


def flatten(inputs, name=None, data_format="channels_last"):
    """Functional interface for the flattening layer (`Flatten`).

    Example:
      >>> tf.layers.flatten(x).shape   # x: [None, 4, 4, 8] -> [None, 128]
    """
    return Flatten(data_format=data_format, name=name, _scope=name).apply(inputs)


def _product(dims):
    total = 1
    for d in dims:
        total *= d
    return total
