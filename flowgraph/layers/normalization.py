"""`tf.layers.BatchNormalization` and `batch_normalization`, with TF1's moving averages."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys
from flowgraph.framework.scopes import add_to_collection, name_scope
from flowgraph.layers.base import Layer
from flowgraph.layers.core import select
from flowgraph.ops import array_ops, init_ops, math_ops, nn_ops, state_ops
from flowgraph.ops.constant_op import convert_to_tensor


class BatchNormalization(Layer):
    """Batch Normalization layer (Ioffe and Szegedy, 2015).

    Creates `gamma` and `beta` (trainable, when `scale`/`center`) and `moving_mean`,
    `moving_variance` (non-trainable, in `GLOBAL_VARIABLES`). Called with `training`
    (a Python bool or a scalar bool tensor), the batch statistics normalize and the
    moving-average updates `moving = moving * momentum + batch * (1 - momentum)` are added
    to `layer.updates` and `tf.GraphKeys.UPDATE_OPS`, which must run alongside the train op.

    Example:
      >>> bn = tf.layers.BatchNormalization()
      >>> y = bn(x, training=True)
      >>> train_op = tf.group(optimizer.minimize(loss), *bn.updates)

    `renorm`, `virtual_batch_size` and `adjustment` are not supported.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer=init_ops.zeros_initializer(),
                 gamma_initializer=init_ops.ones_initializer(),
                 moving_mean_initializer=init_ops.zeros_initializer(),
                 moving_variance_initializer=init_ops.ones_initializer(),
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, fused=None, trainable=True, virtual_batch_size=None,
                 adjustment=None, name=None, **kwargs):  # fmt: skip
        if renorm or virtual_batch_size is not None or adjustment is not None:
            raise NotImplementedError(
                "batch_normalization: renorm, virtual_batch_size and adjustment are not supported"
            )
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale, self.fused = center, scale, fused
        self._beta_args = (beta_initializer, beta_regularizer, beta_constraint)
        self._gamma_args = (gamma_initializer, gamma_regularizer, gamma_constraint)
        self._moving_args = (moving_mean_initializer, moving_variance_initializer)

    def build(self, input_shape):
        self._axes, param_shape, self._reduction, self._broadcast = _bn_axes(input_shape, self.axis)
        if self.fused is None:
            self.fused = input_shape.ndims == 4 and self._axes in ([1], [3])
        if self.fused:
            self.epsilon = max(self.epsilon, 1.001e-5)  # the fused kernel's minimum, as TF1
        pdtype = dtypes.float32 if self.dtype == dtypes.float16 else self.dtype

        def param(name, init, reg=None, con=None, train=None):
            return self.add_weight(name, param_shape, pdtype, init, reg, train, con)

        self.gamma = param("gamma", *self._gamma_args) if self.scale else None
        self.beta = param("beta", *self._beta_args) if self.center else None
        self.moving_mean = param("moving_mean", self._moving_args[0], train=False)
        self.moving_variance = param("moving_variance", self._moving_args[1], train=False)

    def call(self, inputs, training=False):
        mean, variance = self.moving_mean, self.moving_variance
        if training is not False:
            mean, variance = self._batch_statistics(inputs, training)
        outputs = nn_ops.batch_normalization(
            inputs, self._shaped(mean), self._shaped(variance), self._shaped(self.beta),
            self._shaped(self.gamma), self.epsilon,
        )  # fmt: skip
        outputs.set_shape(inputs.shape)
        return outputs

    def _batch_statistics(self, inputs, training):
        """The statistics to normalize with; adds the moving-average updates."""
        like = self.moving_mean.shape
        batch_mean, batch_var, update_var = (
            array_ops.reshape(s, like) for s in _batch_moments(inputs, self._reduction, self.fused)
        )
        if training is True:
            mean, variance, momentum = batch_mean, batch_var, self.momentum
        else:
            mean = select(training, batch_mean, self.moving_mean.value())
            variance = select(training, batch_var, self.moving_variance.value())
            flag = convert_to_tensor(training, dtype=dtypes.bool)
            momentum = array_ops.where(flag, self.momentum, 1.0)
            momentum = math_ops.cast(momentum, self.moving_mean.dtype.base_dtype)
        for variable, value in ((self.moving_mean, batch_mean), (self.moving_variance, update_var)):
            add_to_collection(
                GraphKeys.UPDATE_OPS, _assign_moving_average(variable, value, momentum)
            )
        return mean, variance

    def _shaped(self, value):
        return None if value is None else array_ops.reshape(value, self._broadcast)

    def compute_output_shape(self, input_shape):
        return input_shape


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=init_ops.zeros_initializer(),
                        gamma_initializer=init_ops.ones_initializer(),
                        moving_mean_initializer=init_ops.zeros_initializer(),
                        moving_variance_initializer=init_ops.ones_initializer(),
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                        gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                        fused=None, virtual_batch_size=None, adjustment=None):  # fmt: skip
    """Functional interface for the batch normalization layer (`BatchNormalization`).

    Example:
      >>> x_norm = tf.layers.batch_normalization(x, training=training)
      >>> update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
      >>> train_op = tf.group(optimizer.minimize(loss), *update_ops)

    `training` may be a scalar bool tensor: the statistics are then chosen by `tf.where`
    and the update uses momentum 1 (a no-op) when it is false.
    """
    layer = BatchNormalization(
        axis, momentum, epsilon, center, scale, beta_initializer, gamma_initializer,
        moving_mean_initializer, moving_variance_initializer, beta_regularizer,
        gamma_regularizer, beta_constraint, gamma_constraint, renorm, renorm_clipping,
        renorm_momentum, fused, trainable, virtual_batch_size, adjustment, name=name,
        _scope=name, _reuse=reuse,
    )  # fmt: skip
    return layer.apply(inputs, training=training)


def _bn_axes(shape, axis):
    rank = shape.ndims
    if rank is None:
        raise ValueError("Input has undefined rank.")
    axes = [axis] if isinstance(axis, int) else list(axis)
    axes = sorted(a + rank if a < 0 else a for a in axes)
    for a in axes:
        if not 0 <= a < rank:
            raise ValueError(f"Invalid axis: {a}")
    dims = shape.as_list()
    param_shape = [dims[a] for a in axes]
    if None in param_shape:
        raise ValueError(f"Input has undefined `axis` dimension. Input shape: {shape}")
    reduction = [i for i in range(rank) if i not in axes]
    broadcast = [dims[i] if i in axes else 1 for i in range(rank)]
    return axes, param_shape, reduction, broadcast


def _assign_moving_average(variable, value, momentum):
    """TF1's update: variable -= (variable - value) * (1 - momentum)."""
    with name_scope(None, "AssignMovingAvg", [variable, value, momentum]):
        decay = 1.0 - momentum
        delta = (variable - math_ops.cast(value, variable.dtype)) * decay
        return state_ops.assign_sub(variable, delta)


def _batch_moments(inputs, reduction, fused):
    """Batch mean and variance; the moving variance gets the Bessel-corrected one when
    TF1 would use its fused kernel (4-D input), the population one otherwise."""
    mean, variance = math_ops.moments(inputs, reduction)
    if not fused:
        return mean, variance, variance
    dims = array_ops.shape(inputs)
    count = math_ops.cast(math_ops.reduce_prod(array_ops.gather(dims, reduction)), variance.dtype)
    corrected = variance * count / math_ops.maximum(count - 1.0, 1.0)
    return mean, variance, corrected
