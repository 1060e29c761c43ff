"""`tf.layers`: TF1's functional layers, built on `get_variable` inside a `variable_scope`."""

from __future__ import annotations

import collections.abc

from flowgraph.framework import dtypes
from flowgraph.framework.ops import GraphKeys, Tensor
from flowgraph.framework.scopes import add_to_collection, name_scope
from flowgraph.ops import (
    array_ops,
    conv_ops,
    init_ops,
    linalg_ops,
    math_ops,
    nn_ops,
    state_ops,
    variable_scope as vs,
)
from flowgraph.ops.constant_op import convert_to_tensor

# -- Shared helpers --------------------------------------------------------------------


def _scope(name, default_name, inputs, reuse):
    return vs.variable_scope(name, default_name=default_name, values=[inputs], reuse=reuse)


def _weight(name, shape, dtype, initializer, regularizer, constraint, trainable):
    return vs.get_variable(
        name,
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        constraint=constraint,
        trainable=trainable,
    )


def _finish(outputs, activation, activity_regularizer):
    """Applies the activation, then records the activity regularizer's loss (as TF1)."""
    if activation is not None:
        outputs = activation(outputs)
    if activity_regularizer is not None:
        loss = activity_regularizer(outputs)
        if loss is not None:  # TF1.14+ keras: the loss is averaged over the batch
            batch = math_ops.cast(array_ops.shape(outputs)[0], loss.dtype.base_dtype)
            add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss / batch)
    return outputs


def _static_dim(inputs: Tensor, axis: int, layer: str) -> int:
    ndims = inputs.shape.ndims
    dim = None if ndims is None else inputs.shape.as_list()[axis]
    if dim is None:
        raise ValueError(
            f"The {'last' if axis == -1 else 'channel'} dimension of the inputs to `{layer}` "
            f"should be defined. Found `None`."
        )
    return dim


def _tuple(value, n: int, name: str) -> tuple:
    """Keras' `normalize_tuple`: an int or n ints -> a tuple of n ints."""
    if not isinstance(value, collections.abc.Iterable):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} integers. Received: {value}"
        )
    return value


def _padding(padding) -> str:
    upper = str(padding).upper()
    if upper not in ("VALID", "SAME"):
        raise ValueError(f"The `padding` argument must be 'valid' or 'same'. Received: {padding}")
    return upper


def _channels_first(data_format) -> bool:
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of 'channels_first', 'channels_last'. "
            f"Received: {data_format}"
        )
    return data_format == "channels_first"


def _add_bias(outputs, bias, channels_first: bool, rank: int):
    if not channels_first:
        return nn_ops.bias_add(outputs, bias)
    if rank == 4:
        return nn_ops.bias_add(outputs, bias, data_format="NCHW")
    return outputs + array_ops.reshape(bias, [1, -1] + [1] * (rank - 2))


# -- Dense -----------------------------------------------------------------------------


def dense(
    inputs,
    units,
    activation=None,
    use_bias=True,
    kernel_initializer=None,
    bias_initializer=init_ops.zeros_initializer(),
    kernel_regularizer=None,
    bias_regularizer=None,
    activity_regularizer=None,
    kernel_constraint=None,
    bias_constraint=None,
    trainable=True,
    name=None,
    reuse=None,
):
    """Functional interface for the densely-connected layer.

    Implements `outputs = activation(inputs @ kernel + bias)` with variables `kernel`
    ([input_dim, units]) and `bias` ([units]) in the layer's variable scope (`dense`,
    `dense_1`, ... unless `name` is given). Inputs of rank > 2 are contracted over their
    last axis (`tensordot`), keeping the leading dimensions.

    Example:
      >>> y = tf.layers.dense(x, 10, activation=tf.nn.relu)   # vars dense/kernel, dense/bias
    """
    with _scope(name, "dense", inputs, reuse):
        inputs = convert_to_tensor(inputs, name="inputs")
        depth = _static_dim(inputs, -1, "Dense")
        kernel = _weight(
            "kernel",
            [depth, units],
            inputs.dtype.base_dtype,
            kernel_initializer,
            kernel_regularizer,
            kernel_constraint,
            trainable,
        )
        rank = inputs.shape.ndims
        if rank > 2:
            outputs = linalg_ops.tensordot(inputs, kernel, [[rank - 1], [0]])
            outputs.set_shape(inputs.shape[:-1].concatenate([units]))
        else:
            outputs = math_ops.matmul(inputs, kernel)
        if use_bias:
            bias = _weight(
                "bias",
                [units],
                inputs.dtype.base_dtype,
                bias_initializer,
                bias_regularizer,
                bias_constraint,
                trainable,
            )
            outputs = nn_ops.bias_add(outputs, bias)
        return _finish(outputs, activation, activity_regularizer)


# -- Convolutions ----------------------------------------------------------------------


def _conv(
    rank,
    default_name,
    inputs,
    filters,
    kernel_size,
    strides,
    padding,
    data_format,
    dilation_rate,
    activation,
    use_bias,
    kernel_initializer,
    bias_initializer,
    kernel_regularizer,
    bias_regularizer,
    activity_regularizer,
    kernel_constraint,
    bias_constraint,
    trainable,
    name,
    reuse,
):
    """Keras' `Conv` for the functional layers: kernel `kernel_size + (in, filters)`."""
    channels_first = _channels_first(data_format)
    with _scope(name, default_name, inputs, reuse):
        inputs = convert_to_tensor(inputs, name="inputs")
        dtype = inputs.dtype.base_dtype
        in_channels = _static_dim(inputs, 1 if channels_first else -1, f"Conv{rank}D")
        kernel_shape = _tuple(kernel_size, rank, "kernel_size") + (in_channels, filters)
        kernel = _weight(
            "kernel",
            list(kernel_shape),
            dtype,
            kernel_initializer,
            kernel_regularizer,
            kernel_constraint,
            trainable,
        )
        outputs = conv_ops.convolution(
            inputs,
            kernel,
            padding=_padding(padding),
            strides=_tuple(strides, rank, "strides"),
            dilation_rate=_tuple(dilation_rate, rank, "dilation_rate"),
            data_format="NC" if channels_first else None,
        )
        if use_bias:
            bias = _weight(
                "bias", [filters], dtype, bias_initializer, bias_regularizer, bias_constraint,
                trainable,
            )  # fmt: skip
            outputs = _add_bias(outputs, bias, channels_first, rank + 2)
        return _finish(outputs, activation, activity_regularizer)


def conv1d(
    inputs,
    filters,
    kernel_size,
    strides=1,
    padding="valid",
    data_format="channels_last",
    dilation_rate=1,
    activation=None,
    use_bias=True,
    kernel_initializer=None,
    bias_initializer=init_ops.zeros_initializer(),
    kernel_regularizer=None,
    bias_regularizer=None,
    activity_regularizer=None,
    kernel_constraint=None,
    bias_constraint=None,
    trainable=True,
    name=None,
    reuse=None,
):
    """Functional interface for 1D convolution (`conv1d`): kernel [width, in, filters].

    Example:
      >>> y = tf.layers.conv1d(x, filters=8, kernel_size=3, padding="same")
    """
    return _conv(
        1, "conv1d", inputs, filters, kernel_size, strides, padding, data_format, dilation_rate,
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, trainable,
        name, reuse,
    )  # fmt: skip


def conv2d(
    inputs,
    filters,
    kernel_size,
    strides=(1, 1),
    padding="valid",
    data_format="channels_last",
    dilation_rate=(1, 1),
    activation=None,
    use_bias=True,
    kernel_initializer=None,
    bias_initializer=init_ops.zeros_initializer(),
    kernel_regularizer=None,
    bias_regularizer=None,
    activity_regularizer=None,
    kernel_constraint=None,
    bias_constraint=None,
    trainable=True,
    name=None,
    reuse=None,
):
    """Functional interface for the 2D convolution layer.

    Creates `kernel` ([kh, kw, in_channels, filters]) and `bias` ([filters]) in the
    layer's variable scope (`conv2d`, `conv2d_1`, ...); `padding` is 'valid' or 'same'
    (case-insensitive), `data_format` 'channels_last' (NHWC) or 'channels_first' (NCHW).

    Example:
      >>> y = tf.layers.conv2d(images, 32, [3, 3], padding="same", activation=tf.nn.relu)
    """
    return _conv(
        2, "conv2d", inputs, filters, kernel_size, strides, padding, data_format, dilation_rate,
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, trainable,
        name, reuse,
    )  # fmt: skip


def _deconv_length(size, kernel: int, padding: str, stride: int):
    """Keras' `deconv_output_length` without output padding or dilation."""
    if size is None:
        return None
    return size * stride + (max(kernel - stride, 0) if padding == "VALID" else 0)


def _deconv_output_shape(inputs, kernel_size, strides, padding, filters, channels_first):
    spatial = (2, 3) if channels_first else (1, 2)
    dynamic = array_ops.shape(inputs)
    dims = inputs.shape.as_list()
    sizes = []
    for i, axis in enumerate(spatial):
        size = _deconv_length(dims[axis], kernel_size[i], padding, strides[i])
        if size is None:
            size = dynamic[axis] * strides[i]
            if padding == "VALID":
                size = size + max(kernel_size[i] - strides[i], 0)
        sizes.append(size)
    batch = dims[0] if dims[0] is not None else dynamic[0]
    shape = [batch, filters, *sizes] if channels_first else [batch, *sizes, filters]
    if all(isinstance(s, int) for s in shape):
        return shape, shape
    static = [s if isinstance(s, int) else None for s in shape]
    return array_ops.stack(shape), static


def conv2d_transpose(
    inputs,
    filters,
    kernel_size,
    strides=(1, 1),
    padding="valid",
    data_format="channels_last",
    activation=None,
    use_bias=True,
    kernel_initializer=None,
    bias_initializer=init_ops.zeros_initializer(),
    kernel_regularizer=None,
    bias_regularizer=None,
    activity_regularizer=None,
    kernel_constraint=None,
    bias_constraint=None,
    trainable=True,
    name=None,
    reuse=None,
):
    """Functional interface for transposed 2D convolution ("deconvolution").

    The kernel is [kh, kw, filters, in_channels]; each spatial output size is
    `in * stride` ('same') or `in * stride + max(k - stride, 0)` ('valid').

    Example:
      >>> y = tf.layers.conv2d_transpose(x, 16, 3, strides=2, padding="same")
    """
    channels_first = _channels_first(data_format)
    padding = _padding(padding)
    kernel_size = _tuple(kernel_size, 2, "kernel_size")
    strides = _tuple(strides, 2, "strides")
    with _scope(name, "conv2d_transpose", inputs, reuse):
        inputs = convert_to_tensor(inputs, name="inputs")
        dtype = inputs.dtype.base_dtype
        in_channels = _static_dim(inputs, 1 if channels_first else -1, "Conv2DTranspose")
        kernel = _weight(
            "kernel",
            [*kernel_size, filters, in_channels],
            dtype,
            kernel_initializer,
            kernel_regularizer,
            kernel_constraint,
            trainable,
        )
        output_shape, static = _deconv_output_shape(
            inputs, kernel_size, strides, padding, filters, channels_first
        )
        outputs = conv_ops.conv2d_transpose(
            inputs,
            kernel,
            output_shape,
            strides=(1, 1, *strides) if channels_first else (1, *strides, 1),
            padding=padding,
            data_format="NCHW" if channels_first else "NHWC",
        )
        outputs.set_shape(static)
        if use_bias:
            bias = _weight(
                "bias", [filters], dtype, bias_initializer, bias_regularizer, bias_constraint,
                trainable,
            )  # fmt: skip
            outputs = _add_bias(outputs, bias, channels_first, 4)
        return _finish(outputs, activation, activity_regularizer)


# -- Pooling ---------------------------------------------------------------------------


def _pool2d(pool, default_name, inputs, pool_size, strides, padding, data_format, name):
    channels_first = _channels_first(data_format)
    pool_size = _tuple(pool_size, 2, "pool_size")
    strides = _tuple(strides, 2, "strides")
    with name_scope(name, default_name, [inputs]):
        if channels_first:
            ksize, strides, fmt = (1, 1, *pool_size), (1, 1, *strides), "NCHW"
        else:
            ksize, strides, fmt = (1, *pool_size, 1), (1, *strides, 1), "NHWC"
        return pool(inputs, ksize, strides, _padding(padding), data_format=fmt)


def _pool1d(pool, default_name, inputs, pool_size, strides, padding, data_format, name):
    """As TF1: expand a spatial axis of size 1, pool in 2-D, squeeze it back."""
    channels_first = _channels_first(data_format)
    pool_size = _tuple(pool_size, 1, "pool_size")
    strides = _tuple(strides, 1, "strides")
    with name_scope(name, default_name, [inputs]):
        axis = 2 if channels_first else 1
        expanded = array_ops.expand_dims(inputs, axis)
        if channels_first:
            ksize, strides, fmt = (1, 1, 1, *pool_size), (1, 1, 1, *strides), "NCHW"
        else:
            ksize, strides, fmt = (1, 1, *pool_size, 1), (1, 1, *strides, 1), "NHWC"
        pooled = pool(expanded, ksize, strides, _padding(padding), data_format=fmt)
        return array_ops.squeeze(pooled, [axis])


def max_pooling2d(
    inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None
):
    """Max pooling layer for 2D inputs (e.g. images).

    Example:
      >>> y = tf.layers.max_pooling2d(x, pool_size=2, strides=2)
    """
    return _pool2d(
        conv_ops.max_pool, "max_pooling2d", inputs, pool_size, strides, padding, data_format, name
    )


def average_pooling2d(
    inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None
):
    """Average pooling layer for 2D inputs; 'same' windows average only real elements."""
    return _pool2d(
        conv_ops.avg_pool, "average_pooling2d", inputs, pool_size, strides, padding,
        data_format, name,
    )  # fmt: skip


def max_pooling1d(
    inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None
):
    """Max pooling layer for 1D inputs ([batch, length, channels])."""
    return _pool1d(
        conv_ops.max_pool, "max_pooling1d", inputs, pool_size, strides, padding, data_format, name
    )


def average_pooling1d(
    inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None
):
    """Average pooling layer for 1D inputs ([batch, length, channels])."""
    return _pool1d(
        conv_ops.avg_pool, "average_pooling1d", inputs, pool_size, strides, padding,
        data_format, name,
    )  # fmt: skip


# -- Flatten and dropout ---------------------------------------------------------------


def flatten(inputs, name=None, data_format="channels_last"):
    """Flattens an input tensor while preserving the batch axis (axis 0).

    With 'channels_first' the channels are moved last first, so the flattened order
    matches a channels_last model, as TF1.

    Example:
      >>> tf.layers.flatten(x).shape   # x: [None, 4, 4, 8] -> [None, 128]
    """
    channels_first = _channels_first(data_format)
    with name_scope(name, "flatten", [inputs]):
        inputs = convert_to_tensor(inputs, name="inputs")
        rank = inputs.shape.ndims
        if channels_first and rank is not None and rank > 2:
            inputs = array_ops.transpose(inputs, [0, *range(2, rank), 1])
        dims = inputs.shape.as_list() if rank is not None else []
        batch = dims[0] if dims and dims[0] is not None else -1
        rest = dims[1:]
        if rest and all(d is not None for d in rest):
            flat = 1
            for d in rest:
                flat *= d
            outputs = array_ops.reshape(inputs, [batch, flat])
        else:
            outputs = array_ops.reshape(inputs, array_ops.stack([array_ops.shape(inputs)[0], -1]))
        if rank == 1:
            outputs = array_ops.expand_dims(array_ops.reshape(inputs, [-1]), 1)
        return outputs


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Applies Dropout to the input when `training`; the identity otherwise.

    `training` is a Python bool or a scalar bool tensor (then both branches are built and
    `tf.where` selects one, since the graph has no `cond`).

    Example:
      >>> y = tf.layers.dropout(x, rate=0.1, training=is_training)
    """
    with name_scope(name, "dropout", [inputs]):
        inputs = convert_to_tensor(inputs, name="inputs")
        if isinstance(training, bool):
            if not training:
                return array_ops.identity(inputs)
            return nn_ops.dropout(inputs, noise_shape=noise_shape, seed=seed, rate=rate)
        dropped = nn_ops.dropout(inputs, noise_shape=noise_shape, seed=seed, rate=rate)
        return _select(training, dropped, inputs)


def _select(flag, when_true, when_false):
    """`where` on a scalar bool tensor, broadcast to the branches' shape."""
    flag = convert_to_tensor(flag, dtype=dtypes.bool, name="training")
    mask = array_ops.fill(array_ops.shape(when_true), flag)
    out = array_ops.where(mask, when_true, when_false)
    out.set_shape(when_true.shape)
    return out


# -- Batch normalization ---------------------------------------------------------------


def _bn_axes(inputs, axis):
    rank = inputs.shape.ndims
    if rank is None:
        raise ValueError("Input has undefined rank.")
    axes = [axis] if isinstance(axis, int) else list(axis)
    axes = sorted(a + rank if a < 0 else a for a in axes)
    for a in axes:
        if not 0 <= a < rank:
            raise ValueError(f"Invalid axis: {a}")
    dims = inputs.shape.as_list()
    param_shape = [dims[a] for a in axes]
    if None in param_shape:
        raise ValueError(f"Input has undefined `axis` dimension. Input shape: {inputs.shape}")
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


def batch_normalization(
    inputs,
    axis=-1,
    momentum=0.99,
    epsilon=1e-3,
    center=True,
    scale=True,
    beta_initializer=init_ops.zeros_initializer(),
    gamma_initializer=init_ops.ones_initializer(),
    moving_mean_initializer=init_ops.zeros_initializer(),
    moving_variance_initializer=init_ops.ones_initializer(),
    beta_regularizer=None,
    gamma_regularizer=None,
    beta_constraint=None,
    gamma_constraint=None,
    training=False,
    trainable=True,
    name=None,
    reuse=None,
    renorm=False,
    renorm_clipping=None,
    renorm_momentum=0.99,
    fused=None,
    virtual_batch_size=None,
    adjustment=None,
):
    """Functional interface for the batch normalization layer.

    Creates `gamma` and `beta` (trainable, when `scale`/`center`) and `moving_mean`,
    `moving_variance` (non-trainable, in `GLOBAL_VARIABLES`). With `training` the batch
    statistics normalize and the moving-average updates
    `moving = moving * momentum + batch * (1 - momentum)` are added to
    `tf.GraphKeys.UPDATE_OPS`, which must be run alongside the train op:

    Example:
      >>> x_norm = tf.layers.batch_normalization(x, training=training)
      >>> update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
      >>> train_op = tf.group(optimizer.minimize(loss), *update_ops)

    `training` may be a scalar bool tensor: the statistics are then chosen by `tf.where`
    and the update uses momentum 1 (a no-op) when it is false. `renorm`,
    `virtual_batch_size` and `adjustment` are not supported.
    """
    if renorm or virtual_batch_size is not None or adjustment is not None:
        raise NotImplementedError(
            "batch_normalization: renorm, virtual_batch_size and adjustment are not supported"
        )
    with _scope(name, "batch_normalization", inputs, reuse):
        inputs = convert_to_tensor(inputs, name="inputs")
        axes, param_shape, reduction, broadcast = _bn_axes(inputs, axis)
        if fused is None:
            fused = inputs.shape.ndims == 4 and axes in ([1], [3])
        if fused:
            epsilon = max(epsilon, 1.001e-5)  # the fused kernel's minimum, as TF1
        dtype = inputs.dtype.base_dtype
        pdtype = dtypes.float32 if dtype == dtypes.float16 else dtype

        def param(name, init, reg=None, con=None, train=trainable):
            return _weight(name, param_shape, pdtype, init, reg, con, train)

        gamma = (
            param("gamma", gamma_initializer, gamma_regularizer, gamma_constraint)
            if scale
            else None
        )
        beta = (
            param("beta", beta_initializer, beta_regularizer, beta_constraint) if center else None
        )
        moving_mean = param("moving_mean", moving_mean_initializer, train=False)
        moving_variance = param("moving_variance", moving_variance_initializer, train=False)
        return _normalize(
            inputs, training, momentum, epsilon, fused, reduction, broadcast,
            gamma, beta, moving_mean, moving_variance,
        )  # fmt: skip


def _normalize(
    inputs, training, momentum, epsilon, fused, reduction, broadcast, gamma, beta,
    moving_mean, moving_variance,
):  # fmt: skip
    def shaped(v):
        return None if v is None else array_ops.reshape(v, broadcast)

    if training is False:
        mean, variance = moving_mean, moving_variance
    else:
        batch_mean, batch_var, update_var = _batch_moments(inputs, reduction, fused)
        batch_mean = array_ops.reshape(batch_mean, moving_mean.shape)
        batch_var = array_ops.reshape(batch_var, moving_mean.shape)
        update_var = array_ops.reshape(update_var, moving_mean.shape)
        if training is True:
            mean, variance, m = batch_mean, batch_var, momentum
        else:
            mean = _select(training, batch_mean, moving_mean.value())
            variance = _select(training, batch_var, moving_variance.value())
            m = array_ops.where(convert_to_tensor(training, dtype=dtypes.bool), momentum, 1.0)
            m = math_ops.cast(m, moving_mean.dtype.base_dtype)
        add_to_collection(GraphKeys.UPDATE_OPS, _assign_moving_average(moving_mean, batch_mean, m))
        add_to_collection(
            GraphKeys.UPDATE_OPS, _assign_moving_average(moving_variance, update_var, m)
        )
    outputs = nn_ops.batch_normalization(
        inputs, shaped(mean), shaped(variance), shaped(beta), shaped(gamma), epsilon
    )
    outputs.set_shape(inputs.shape)
    return outputs
