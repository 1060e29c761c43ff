"""TF2-style pooling names under `tf.nn` (`max_pool_v2`, `max_pool1d`, `avg_pool2d`, ...)
and grayscale morphology (`dilation2d`, `erosion2d`)."""

from __future__ import annotations

from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, conv_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.conv_ops import _get_sequence


def _pool_1d(pool, input, ksize, strides, padding, data_format, name):
    # TF pools 1-D inputs as 2-D ones of height 1.
    with name_scope(name, "Pool1D", [input]):
        channels_first = data_format == "NCW"
        x = array_ops.expand_dims(convert_to_tensor(input), 2 if channels_first else 1)
        ksize = _get_sequence(ksize, 1, 1 if channels_first else 2, "ksize")
        strides = _get_sequence(strides, 1, 1 if channels_first else 2, "strides")
        fmt = "NCHW" if channels_first else "NHWC"
        at = 2 if channels_first else 1
        ksize, strides = (tuple(v[:at]) + (1,) + tuple(v[at:]) for v in (ksize, strides))
        out = pool(x, ksize, strides, padding, data_format=fmt)
        return array_ops.squeeze(out, [at])


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None) -> Tensor:
    """Max pooling of [batch, width, channels] inputs."""
    return _pool_1d(conv_ops.max_pool, input, ksize, strides, padding, data_format, name)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None) -> Tensor:
    """Average pooling of [batch, width, channels] inputs."""
    return _pool_1d(conv_ops.avg_pool, input, ksize, strides, padding, data_format, name)


def _spatial_rank(input, data_format) -> int:
    input = convert_to_tensor(input)
    if data_format is not None:
        return len(data_format) - 2
    if input.shape.ndims is None:
        raise ValueError("The input rank must be known to choose the pooling op")
    return input.shape.ndims - 2


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None) -> Tensor:
    """2-D max pooling with ksize and strides given as 1, 2 or 4 ints."""
    c = 1 if data_format.startswith("NC") else 3
    return conv_ops.max_pool(
        input,
        _get_sequence(ksize, 2, c, "ksize"),
        _get_sequence(strides, 2, c, "strides"),
        padding,
        data_format,
        name,
    )


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None) -> Tensor:
    """2-D average pooling with ksize and strides given as 1, 2 or 4 ints."""
    c = 1 if data_format.startswith("NC") else 3
    return conv_ops.avg_pool(
        input,
        _get_sequence(ksize, 2, c, "ksize"),
        _get_sequence(strides, 2, c, "strides"),
        padding,
        data_format,
        name,
    )


def _pool_nd(kind: str, input, ksize, strides, padding, data_format, name):
    rank = _spatial_rank(input, data_format)
    if rank == 1:
        pool = max_pool1d if kind == "max" else avg_pool1d
        return pool(input, ksize, strides, padding, data_format or "NWC", name)
    if rank == 2:
        pool = max_pool2d if kind == "max" else avg_pool2d
        return pool(input, ksize, strides, padding, data_format or "NHWC", name)
    if rank == 3:
        fmt = data_format or "NDHWC"
        c = 1 if fmt.startswith("NC") else 4
        pool = conv_ops.max_pool3d if kind == "max" else conv_ops.avg_pool3d
        return pool(
            input,
            _get_sequence(ksize, 3, c, "ksize"),
            _get_sequence(strides, 3, c, "strides"),
            padding,
            fmt,
            name,
        )
    raise ValueError(f"Input tensor must be of rank 3, 4 or 5 but was {rank + 2}.")


def max_pool_v2(input, ksize, strides, padding, data_format=None, name=None) -> Tensor:
    """Max pooling of 1-D, 2-D or 3-D inputs, by the input's rank (TF2's `tf.nn.max_pool`)."""
    return _pool_nd("max", input, ksize, strides, padding, data_format, name)


def avg_pool_v2(input, ksize, strides, padding, data_format=None, name=None) -> Tensor:
    """Average pooling of 1-D, 2-D or 3-D inputs (TF2's `tf.nn.avg_pool`)."""
    return _pool_nd("avg", input, ksize, strides, padding, data_format, name)


def dilation2d(
    input,
    filter=None,
    strides=None,
    rates=None,
    padding=None,
    name=None,
    filters=None,
    dilations=None,
) -> Tensor:
    """Grayscale dilation: out[b, y, x, c] = max over the (dilated) window of
    input[b, y*s + dy*r, x*s + dx*r, c] + filter[dy, dx, c]."""
    filter = filters if filter is None else filter
    rates = dilations if rates is None else rates
    input = convert_to_tensor(input, name="input")
    filter = convert_to_tensor(filter, dtype=input.dtype.base_dtype, name="filter")
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    return apply_op(
        "Dilation2D",
        [input, filter],
        name=name,
        strides=_get_sequence(strides, 2, 3, "strides"),
        rates=_get_sequence(rates, 2, 3, "rates"),
        padding=padding,
        T=input.dtype.base_dtype.numpy_dtype,
    )


def erosion2d(value, kernel, strides, rates, padding, name=None) -> Tensor:
    """Grayscale erosion: the dual of `dilation2d`, -dilation2d(-value, mirrored kernel)."""
    with name_scope(name, "erosion2d", [value, kernel]) as scope:
        mirrored = array_ops.reverse_v2(convert_to_tensor(kernel), [0, 1])
        negated = math_ops.negative(convert_to_tensor(value))
        return math_ops.negative(dilation2d(negated, mirrored, strides, rates, padding), name=scope)
