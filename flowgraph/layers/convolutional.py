"""`tf.layers` convolutions: `Conv1D/2D/3D`, transposed and separable ones, functional forms."""

from __future__ import annotations

from flowgraph.layers.base import (
    InputSpec,
    Layer,
    is_channels_first,
    static_dim,
    to_padding,
    to_tuple,
)
from flowgraph.ops import array_ops, conv_ops, init_ops, nn_ops

_ZEROS = init_ops.zeros_initializer()


class _Conv(Layer):
    """Keras' `Conv`: a kernel of `kernel_size + (in_channels, filters)` and a bias."""

    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer=None, bias_initializer=_ZEROS, kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):  # fmt: skip
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)  # fmt: skip
        rank = self.rank
        self.filters = int(filters)
        self.kernel_size = to_tuple(kernel_size, rank, "kernel_size")
        self.strides = to_tuple(strides, rank, "strides")
        self.padding = to_padding(padding)
        self.data_format = data_format
        self.channels_first = is_channels_first(data_format)
        self.dilation_rate = to_tuple(dilation_rate, rank, "dilation_rate")
        self.activation, self.use_bias = activation, use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.input_spec = InputSpec(ndim=rank + 2)

    def _in_channels(self, input_shape):
        return static_dim(input_shape, 1 if self.channels_first else -1, type(self).__name__)

    def build(self, input_shape):
        shape = list(self.kernel_size) + [self._in_channels(input_shape), self.filters]
        self.kernel = self._weight("kernel", shape, self.kernel_initializer,
                                   self.kernel_regularizer, self.kernel_constraint)  # fmt: skip
        self._build_bias()

    def _weight(self, name, shape, initializer, regularizer, constraint):
        return self.add_weight(name, shape, None, initializer, regularizer,
                               constraint=constraint)  # fmt: skip

    def _build_bias(self):
        self.bias = None
        if self.use_bias:
            self.bias = self._weight("bias", [self.filters], self.bias_initializer,
                                     self.bias_regularizer, self.bias_constraint)  # fmt: skip

    def call(self, inputs):
        outputs = conv_ops.convolution(
            inputs, self.kernel, padding=self.padding, strides=self.strides,
            dilation_rate=self.dilation_rate, data_format="NC" if self.channels_first else None,
            name=f"Conv{self.rank}D",  # TF's layers name the op so: 'conv2d/Conv2D'
        )  # fmt: skip
        return self._finish(outputs)

    def _finish(self, outputs):
        if self.use_bias:
            outputs = _add_bias(outputs, self.bias, self.channels_first, self.rank + 2)
        return outputs if self.activation is None else self.activation(outputs)


class Conv1D(_Conv):
    """1D convolution layer (e.g. temporal convolution): kernel [width, in, filters].

    Example:
      >>> y = tf.layers.Conv1D(filters=8, kernel_size=3, padding="same")(x)
    """

    rank = 1


class Conv2D(_Conv):
    """2D convolution layer (e.g. spatial convolution over images).

    Creates `kernel` ([kh, kw, in_channels, filters]) and `bias` ([filters]); `padding`
    is 'valid' or 'same', `data_format` 'channels_last' (NHWC) or 'channels_first' (NCHW).

    Example:
      >>> y = tf.layers.Conv2D(32, [3, 3], padding="same", activation=tf.nn.relu)(images)
    """

    rank = 2


class Conv3D(_Conv):
    """3D convolution layer (e.g. spatial convolution over volumes).

    Example:
      >>> y = tf.layers.Conv3D(8, 3, padding="same")(volumes)   # [batch, d, h, w, c]
    """

    rank = 3


class _ConvTranspose(_Conv):
    """Transposed convolution: kernel `kernel_size + (filters, in_channels)`."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", **kwargs):  # fmt: skip
        super().__init__(filters, kernel_size, strides, padding, data_format, **kwargs)

    def build(self, input_shape):
        shape = list(self.kernel_size) + [self.filters, self._in_channels(input_shape)]
        self.kernel = self._weight("kernel", shape, self.kernel_initializer,
                                   self.kernel_regularizer, self.kernel_constraint)  # fmt: skip
        self._build_bias()

    def call(self, inputs):
        output_shape, static = _deconv_output_shape(
            inputs, self.kernel_size, self.strides, self.padding, self.filters,
            self.channels_first,
        )  # fmt: skip
        strides = (1, 1, *self.strides) if self.channels_first else (1, *self.strides, 1)
        transpose = conv_ops.conv2d_transpose if self.rank == 2 else conv_ops.conv3d_transpose
        formats = {2: ("NCHW", "NHWC"), 3: ("NCDHW", "NDHWC")}[self.rank]
        outputs = transpose(
            inputs, self.kernel, output_shape, strides=strides, padding=self.padding,
            data_format=formats[0] if self.channels_first else formats[1],
        )  # fmt: skip
        outputs.set_shape(static)
        return self._finish(outputs)


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution layer (sometimes called 2D deconvolution).

    The kernel is [kh, kw, filters, in_channels]; each spatial output size is
    `in * stride` ('same') or `in * stride + max(k - stride, 0)` ('valid').

    Example:
      >>> y = tf.layers.Conv2DTranspose(16, 3, strides=2, padding="same")(x)
    """

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution layer: kernel [kd, kh, kw, filters, in_channels]."""

    rank = 3


class _SeparableConv(_Conv):
    """A depthwise convolution (`depth_multiplier` per channel), then a 1x1 one."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, depth_multiplier=1,
                 activation=None, use_bias=True, depthwise_initializer=None,
                 pointwise_initializer=None, bias_initializer=_ZEROS,
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
                 **kwargs):  # fmt: skip
        super().__init__(
            filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
            use_bias, bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, bias_constraint=bias_constraint,
            trainable=trainable, name=name, **kwargs,
        )  # fmt: skip
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise = (depthwise_initializer, depthwise_regularizer, depthwise_constraint)
        self.pointwise = (pointwise_initializer, pointwise_regularizer, pointwise_constraint)

    def build(self, input_shape):
        channels = self._in_channels(input_shape)
        depthwise_shape = list(self.kernel_size) + [channels, self.depth_multiplier]
        pointwise_shape = [1] * self.rank + [channels * self.depth_multiplier, self.filters]
        self.depthwise_kernel = self._weight("depthwise_kernel", depthwise_shape, *self.depthwise)
        self.pointwise_kernel = self._weight("pointwise_kernel", pointwise_shape, *self.pointwise)
        self._build_bias()

    def call(self, inputs):
        depthwise, pointwise = self.depthwise_kernel, self.pointwise_kernel
        strides, rate = self.strides, self.dilation_rate
        if self.rank == 1:  # as Keras: a 2-D convolution over an added axis of size 1
            axis = 2 if self.channels_first else 1
            inputs = array_ops.expand_dims(inputs, axis)
            depthwise = array_ops.expand_dims(depthwise, 0)
            pointwise = array_ops.expand_dims(pointwise, 0)
            strides, rate = strides * 2, (1,) + rate
        full_strides = (1, 1, *strides) if self.channels_first else (1, *strides, 1)
        outputs = conv_ops.separable_conv2d(
            inputs, depthwise, pointwise, full_strides, self.padding, rate=rate,
            data_format="NCHW" if self.channels_first else "NHWC",
        )  # fmt: skip
        if self.rank == 1:
            outputs = array_ops.squeeze(outputs, [axis])
        return self._finish(outputs)


class SeparableConv1D(_SeparableConv):
    """Depthwise separable 1D convolution layer.

    Example:
      >>> y = tf.layers.SeparableConv1D(16, 3, depth_multiplier=2)(x)
    """

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise separable 2D convolution layer: `depthwise_kernel`, `pointwise_kernel`.

    Example:
      >>> y = tf.layers.SeparableConv2D(32, 3, padding="same")(images)
    """

    rank = 2


def _add_bias(outputs, bias, channels_first, rank):
    if not channels_first:
        return nn_ops.bias_add(outputs, bias)
    if rank == 4:
        return nn_ops.bias_add(outputs, bias, data_format="NCHW")
    return outputs + array_ops.reshape(bias, [1, -1] + [1] * (rank - 2))


def _deconv_length(size, kernel, padding, stride):
    """Keras' `deconv_output_length` without output padding or dilation."""
    if size is None:
        return None
    return size * stride + (max(kernel - stride, 0) if padding == "VALID" else 0)


def _deconv_output_shape(inputs, kernel_size, strides, padding, filters, channels_first):
    rank = len(kernel_size)
    spatial = range(2, 2 + rank) if channels_first else range(1, 1 + rank)
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


# -- functional interfaces: build the class, apply it once -----------------------------


def _functional(cls, inputs, name, reuse, *args, **kwargs):
    return cls(*args, name=name, _scope=name, _reuse=reuse, **kwargs).apply(inputs)


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid",
           data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=_ZEROS, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):  # fmt: skip
    """Functional interface for 1D convolution (`Conv1D`): kernel [width, in, filters].

    Example:
      >>> y = tf.layers.conv1d(x, filters=8, kernel_size=3, padding="same")
    """
    return _functional(
        Conv1D, inputs, name, reuse, filters, kernel_size, strides, padding, data_format,
        dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint, trainable,
    )  # fmt: skip


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=_ZEROS, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):  # fmt: skip
    """Functional interface for the 2D convolution layer (`Conv2D`).

    Example:
      >>> y = tf.layers.conv2d(images, 32, [3, 3], padding="same", activation=tf.nn.relu)
    """
    return _functional(
        Conv2D, inputs, name, reuse, filters, kernel_size, strides, padding, data_format,
        dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint, trainable,
    )  # fmt: skip


def conv3d(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1, 1), activation=None,
           use_bias=True, kernel_initializer=None, bias_initializer=_ZEROS,
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
           kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
           reuse=None):  # fmt: skip
    """Functional interface for the 3D convolution layer (`Conv3D`).

    Example:
      >>> y = tf.layers.conv3d(volumes, 8, 3, padding="same")
    """
    return _functional(
        Conv3D, inputs, name, reuse, filters, kernel_size, strides, padding, data_format,
        dilation_rate, activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint, trainable,
    )  # fmt: skip


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", activation=None, use_bias=True,
                     kernel_initializer=None, bias_initializer=_ZEROS, kernel_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):  # fmt: skip
    """Functional interface for transposed 2D convolution (`Conv2DTranspose`).

    Example:
      >>> y = tf.layers.conv2d_transpose(x, 16, 3, strides=2, padding="same")
    """
    return _functional(
        Conv2DTranspose, inputs, name, reuse, filters, kernel_size, strides, padding,
        data_format, activation=activation, use_bias=use_bias,
        kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
        activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
        bias_constraint=bias_constraint, trainable=trainable,
    )  # fmt: skip


def conv3d_transpose(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                     data_format="channels_last", activation=None, use_bias=True,
                     kernel_initializer=None, bias_initializer=_ZEROS, kernel_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):  # fmt: skip
    """Functional interface for transposed 3D convolution (`Conv3DTranspose`)."""
    return _functional(
        Conv3DTranspose, inputs, name, reuse, filters, kernel_size, strides, padding,
        data_format, activation=activation, use_bias=use_bias,
        kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
        kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
        activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
        bias_constraint=bias_constraint, trainable=trainable,
    )  # fmt: skip


def separable_conv1d(inputs, filters, kernel_size, strides=1, padding="valid",
                     data_format="channels_last", dilation_rate=1, depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=_ZEROS,
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                     pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
                     reuse=None):  # fmt: skip
    """Functional interface for the depthwise separable 1D convolution layer."""
    return _functional(
        SeparableConv1D, inputs, name, reuse, filters, kernel_size, strides, padding,
        data_format, dilation_rate, depth_multiplier, activation, use_bias,
        depthwise_initializer, pointwise_initializer, bias_initializer, depthwise_regularizer,
        pointwise_regularizer, bias_regularizer, activity_regularizer, depthwise_constraint,
        pointwise_constraint, bias_constraint, trainable,
    )  # fmt: skip


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=_ZEROS,
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                     pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
                     reuse=None):  # fmt: skip
    """Functional interface for the depthwise separable 2D convolution layer.

    Example:
      >>> y = tf.layers.separable_conv2d(images, 32, 3, depth_multiplier=2)
    """
    return _functional(
        SeparableConv2D, inputs, name, reuse, filters, kernel_size, strides, padding,
        data_format, dilation_rate, depth_multiplier, activation, use_bias,
        depthwise_initializer, pointwise_initializer, bias_initializer, depthwise_regularizer,
        pointwise_regularizer, bias_regularizer, activity_regularizer, depthwise_constraint,
        pointwise_constraint, bias_constraint, trainable,
    )  # fmt: skip
