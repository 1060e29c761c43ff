"""`tf.layers` pooling: `MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D` and functional forms."""

from __future__ import annotations

from flowgraph.layers.base import InputSpec, Layer, is_channels_first, to_padding, to_tuple
from flowgraph.ops import array_ops, conv_ops

# Per rank: the data formats for channels-last and channels-first inputs.
_FORMATS = {1: ("NHWC", "NCHW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


class _Pooling(Layer):
    """Pools windows of `pool_size` with `strides`; 1-D pools in 2-D over an added axis."""

    rank = None
    kind = None  # "max" or "avg"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last",
                 name=None, **kwargs):  # fmt: skip
        super().__init__(name=name, **kwargs)
        self.pool_size = to_tuple(pool_size, self.rank, "pool_size")
        self.strides = to_tuple(strides, self.rank, "strides")
        self.padding = to_padding(padding)
        self.data_format = data_format
        self.channels_first = is_channels_first(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        pool_size, strides = self.pool_size, self.strides
        if self.rank == 1:  # as TF1: expand a spatial axis of size 1, pool, squeeze it
            axis = 2 if self.channels_first else 1
            inputs = array_ops.expand_dims(inputs, axis)
            pool_size, strides = (1, *pool_size), (1, *strides)
        if self.channels_first:
            ksize, strides = (1, 1, *pool_size), (1, 1, *strides)
        else:
            ksize, strides = (1, *pool_size, 1), (1, *strides, 1)
        fmt = _FORMATS[self.rank][1 if self.channels_first else 0]
        outputs = self._pool()(inputs, ksize, strides, self.padding, data_format=fmt)
        return array_ops.squeeze(outputs, [axis]) if self.rank == 1 else outputs

    def _pool(self):
        if self.rank == 3:
            return conv_ops.max_pool3d if self.kind == "max" else conv_ops.avg_pool3d
        return conv_ops.max_pool if self.kind == "max" else conv_ops.avg_pool


class MaxPooling1D(_Pooling):
    """Max pooling layer for 1D inputs ([batch, length, channels])."""

    rank, kind = 1, "max"


class AveragePooling1D(_Pooling):
    """Average pooling layer for 1D inputs ([batch, length, channels])."""

    rank, kind = 1, "avg"


class MaxPooling2D(_Pooling):
    """Max pooling layer for 2D inputs (e.g. images).

    Example:
      >>> y = tf.layers.MaxPooling2D(pool_size=2, strides=2)(x)
    """

    rank, kind = 2, "max"


class AveragePooling2D(_Pooling):
    """Average pooling layer for 2D inputs; 'same' windows average only real elements."""

    rank, kind = 2, "avg"


class MaxPooling3D(_Pooling):
    """Max pooling layer for 3D inputs ([batch, depth, height, width, channels])."""

    rank, kind = 3, "max"


class AveragePooling3D(_Pooling):
    """Average pooling layer for 3D inputs ([batch, depth, height, width, channels])."""

    rank, kind = 3, "avg"


def _functional(cls, inputs, pool_size, strides, padding, data_format, name):
    layer = cls(pool_size, strides, padding, data_format, name=name, _scope=name)
    return layer.apply(inputs)


def max_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):  # fmt: skip
    """Max pooling layer for 1D inputs (`MaxPooling1D`)."""
    return _functional(MaxPooling1D, inputs, pool_size, strides, padding, data_format, name)


def average_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                      name=None):  # fmt: skip
    """Average pooling layer for 1D inputs (`AveragePooling1D`)."""
    return _functional(AveragePooling1D, inputs, pool_size, strides, padding, data_format, name)


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):  # fmt: skip
    """Max pooling layer for 2D inputs (`MaxPooling2D`).

    Example:
      >>> y = tf.layers.max_pooling2d(x, pool_size=2, strides=2)
    """
    return _functional(MaxPooling2D, inputs, pool_size, strides, padding, data_format, name)


def average_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                      name=None):  # fmt: skip
    """Average pooling layer for 2D inputs (`AveragePooling2D`)."""
    return _functional(AveragePooling2D, inputs, pool_size, strides, padding, data_format, name)


def max_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):  # fmt: skip
    """Max pooling layer for 3D inputs (`MaxPooling3D`)."""
    return _functional(MaxPooling3D, inputs, pool_size, strides, padding, data_format, name)


def average_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                      name=None):  # fmt: skip
    """Average pooling layer for 3D inputs (`AveragePooling3D`)."""
    return _functional(AveragePooling3D, inputs, pool_size, strides, padding, data_format, name)
