"""Convolutions and pooling (`tf.nn.conv2d`, `tf.nn.max_pool`, ...), TF1 semantics."""

from __future__ import annotations

import collections.abc

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops
from flowgraph.ops.constant_op import convert_to_tensor

_FLOATS = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)
_FORMATS = {2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


def _get_sequence(value, n: int, channel_index: int, name: str) -> tuple:
    """TF's `_get_sequence`: an int, or n, or n + 2 values -> n + 2 values."""
    if value is None:
        value = [1]
    elif not isinstance(value, collections.abc.Sized):
        value = [value]
    value = [int(v) for v in value]
    if len(value) == n + 2:
        return tuple(value)
    if len(value) == 1:
        value = value * n
    elif len(value) != n:
        raise ValueError(f"{name} should be of length 1, {n} or {n + 2} but was {len(value)}")
    return tuple([1, 1] + value if channel_index == 1 else [1] + value + [1])


def _convert_padding(padding):
    """TF's `convert_padding`: a string, or a list of [before, after] pairs per dim."""
    if isinstance(padding, (list, tuple)):
        explicit = []
        for i, pair in enumerate(padding):
            if not isinstance(pair, (list, tuple)):
                raise ValueError(
                    "When padding is a list, each element of padding must be a list/tuple of "
                    f"size 2. Element with index {i} of padding is not a list/tuple: {pair}"
                )
            if len(pair) != 2:
                raise ValueError(
                    "When padding is a list, each element of padding must be a list/tuple of "
                    f"size 2. Element with index {i} of padding has size {len(pair)}"
                )
            explicit.extend(int(p) for p in pair)
        return "EXPLICIT", tuple(explicit)
    if padding == "EXPLICIT":
        raise ValueError(
            '"EXPLICIT" is not a valid value for the padding parameter. To use explicit '
            "padding, the padding parameter must be a list."
        )
    return padding, ()


def _check_attrs(
    op_type, data_format, padding, strides, dilations=None, explicit=(), formats=None, rank=4
):
    if data_format not in (formats or _FORMATS[rank - 2]):
        raise ValueError(
            f"{op_type}: data_format must be one of {list(formats or _FORMATS[rank - 2])}, "
            f"got {data_format!r}"
        )
    allowed = ("SAME", "VALID", "EXPLICIT") if explicit is not None else ("SAME", "VALID")
    if padding not in allowed:
        raise ValueError(
            f"Value for attr 'padding' of {padding!r} is not in the list of allowed values: "
            + ", ".join(f'"{p}"' for p in allowed)
        )
    c = data_format.index("C")
    for attr, values in (("strides", strides), ("dilations", dilations)):
        if values is None:
            continue
        if len(values) != rank:
            raise ValueError(f"{op_type}: {attr} must have {rank} elements, got {len(values)}")
        if values[0] != 1 or values[c] != 1:
            raise ValueError(
                f"{op_type}: Current implementation does not yet support {attr} in the "
                "batch and depth dimensions."
            )
        if min(values) < 1:
            raise ValueError(f"{op_type}: {attr} must be positive, got {list(values)}")
    if padding == "EXPLICIT":
        if len(explicit) != 2 * rank:
            raise ValueError(
                f"When padding is a list, it must be of size {rank}. Got padding of size: "
                f"{len(explicit) // 2}"
            )
        if any(explicit[2 * i] or explicit[2 * i + 1] for i in (0, c)):
            raise ValueError(
                f"{op_type}: Nonzero explicit padding in the batch or depth dimensions is "
                "not supported"
            )
        if min(explicit) < 0:
            raise ValueError(f"{op_type}: explicit padding must be nonnegative")


def _float_inputs(op_type, *tensors):
    for t in tensors:
        if t.dtype.base_dtype not in _FLOATS:
            raise TypeError(
                f"Value passed to parameter '{t.name}' of {op_type} has DataType "
                f"{t.dtype.name} not in list of allowed values: float16, bfloat16, float32, "
                "float64"
            )


def _conv_op(op_type, input, filter, strides, padding, data_format, dilations, name, rank):
    padding, explicit = _convert_padding(padding)
    data_format = data_format or _FORMATS[rank - 2][0]
    c = 1 if data_format.startswith("NC") else rank - 1
    strides = _get_sequence(strides, rank - 2, c, "strides")
    dilations = _get_sequence(dilations, rank - 2, c, "dilations")
    _check_attrs(op_type, data_format, padding, strides, dilations, explicit, rank=rank)
    input = convert_to_tensor(input, name="input")
    filter = convert_to_tensor(filter, dtype=input.dtype, name="filter")
    _float_inputs(op_type, input, filter)
    attrs = dict(
        strides=strides,
        padding=padding,
        data_format=data_format,
        dilations=dilations,
        T=input.dtype.base_dtype.numpy_dtype,
    )
    if explicit:
        attrs["explicit_paddings"] = explicit
    return apply_op(op_type, [input, filter], name=name, **attrs)


def conv2d(
    input,
    filter=None,
    strides=None,
    padding=None,
    use_cudnn_on_gpu=True,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
    filters=None,
) -> Tensor:
    """2-D convolution of a 4-D `input` with a [h, w, in, out] `filter`.

    `padding` is "SAME", "VALID" or a list of 4 [before, after] pairs (batch and depth 0).
    """
    filter = _one_of("filters", filters, "filter", filter)
    return _conv_op("Conv2D", input, filter, strides, padding, data_format, dilations, name, 4)


def conv3d(
    input,
    filter=None,
    strides=None,
    padding=None,
    data_format="NDHWC",
    dilations=(1, 1, 1, 1, 1),
    name=None,
    filters=None,
) -> Tensor:
    """3-D convolution of a 5-D `input` with a [d, h, w, in, out] `filter`."""
    filter = _one_of("filters", filters, "filter", filter)
    if isinstance(padding, (list, tuple)):
        raise ValueError("Conv3D: padding must be 'SAME' or 'VALID'")
    return _conv_op("Conv3D", input, filter, strides, padding, data_format, dilations, name, 5)


def _one_of(new_name, new, old_name, old):
    if new is not None and old is not None:
        raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'")
    return new if new is not None else old


def conv1d(
    value=None,
    filters=None,
    stride=None,
    padding=None,
    use_cudnn_on_gpu=None,
    data_format=None,
    name=None,
    input=None,
    dilations=None,
) -> Tensor:
    """1-D convolution: ExpandDims, Conv2D and Squeeze, as TF1 builds it."""
    value = _one_of("input", input, "value", value)
    with name_scope(name, "conv1d", [value, filters]) as scope:
        if data_format in (None, "NHWC", "NWC"):
            data_format, spatial_start, channel = "NHWC", 1, 2
        elif data_format in ("NCHW", "NCW"):
            data_format, spatial_start, channel = "NCHW", 2, 1
        else:
            raise ValueError('data_format must be "NWC" or "NCW".')
        strides = (1,) + _get_sequence(stride, 1, channel, "stride")
        dilations = (1,) + _get_sequence(dilations, 1, channel, "dilations")
        value = array_ops.expand_dims(convert_to_tensor(value, name="value"), spatial_start)
        filters = array_ops.expand_dims(convert_to_tensor(filters, name="filters"), 0)
        result = conv2d(
            value,
            filters,
            strides,
            padding,
            data_format=data_format,
            dilations=dilations,
            name=scope,
        )
        return array_ops.squeeze(result, [spatial_start])


def depthwise_conv2d_native(
    input, filter, strides, padding, data_format="NHWC", dilations=(1, 1, 1, 1), name=None
) -> Tensor:
    """Depthwise 2-D convolution with a [h, w, in, multiplier] filter."""
    return _conv_op(
        "DepthwiseConv2dNative",
        input,
        filter,
        strides,
        padding,
        data_format or "NHWC",
        dilations,
        name,
        4,
    )


def _rate_as_dilations(rate, dilations, data_format):
    if rate is not None and dilations is not None:
        raise ValueError("Cannot specify both 'rate' and 'dilations'")
    rate = dilations if rate is None else rate
    rate = [1, 1] if rate is None else list(np.broadcast_to(np.asarray(rate).ravel(), (2,)))
    if min(rate) < 1:
        raise ValueError(f"rate must be positive, got {rate}")
    c = 1 if (data_format or "NHWC").startswith("NC") else 3
    return _get_sequence(rate, 2, c, "rate")


def depthwise_conv2d(
    input, filter, strides, padding, rate=None, name=None, data_format=None, dilations=None
) -> Tensor:
    """Depthwise 2-D convolution; `rate` dilates the filter (atrous)."""
    with name_scope(name, "depthwise", [input, filter]) as scope:
        dilations = _rate_as_dilations(rate, dilations, data_format)
        _check_strides_with_rate(strides, dilations)
        return depthwise_conv2d_native(
            input, filter, strides, padding, data_format, dilations, name=scope
        )


def _check_strides_with_rate(strides, dilations):
    if max(dilations) > 1 and max(_get_sequence(strides, 2, 3, "strides")) > 1:
        raise ValueError("strides > 1 not supported in conjunction with dilation_rate > 1")


def separable_conv2d(
    input,
    depthwise_filter,
    pointwise_filter,
    strides,
    padding,
    rate=None,
    name=None,
    data_format=None,
    dilations=None,
) -> Tensor:
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    with name_scope(name, "separable_conv2d", [input, depthwise_filter, pointwise_filter]) as scope:
        input = convert_to_tensor(input, name="input")
        depthwise_filter = convert_to_tensor(depthwise_filter, name="depthwise_filter")
        pointwise_filter = convert_to_tensor(pointwise_filter, name="pointwise_filter")
        shape = pointwise_filter.shape
        if shape.ndims is not None and (
            shape.ndims != 4 or any(d not in (None, 1) for d in shape.as_list()[:2])
        ):
            raise ValueError(
                f"pointwise_filter must have shape [1, 1, in, out], got {shape.as_list()}"
            )
        dilations = _rate_as_dilations(rate, dilations, data_format)
        _check_strides_with_rate(strides, dilations)
        depthwise = depthwise_conv2d_native(
            input, depthwise_filter, strides, padding, data_format, dilations, name="depthwise"
        )
        return conv2d(
            depthwise,
            pointwise_filter,
            [1, 1, 1, 1],
            "VALID",
            data_format=data_format or "NHWC",
            name=scope,
        )


def atrous_conv2d(value, filters, rate, padding, name=None) -> Tensor:
    """2-D convolution with the filter dilated by `rate` (NHWC)."""
    if int(rate) < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    return convolution(value, filters, padding, dilation_rate=[rate, rate], name=name)


def convolution(
    input,
    filter,
    padding,
    strides=None,
    dilation_rate=None,
    name=None,
    data_format=None,
    filters=None,
    dilations=None,
) -> Tensor:
    """N-d convolution (N = 1, 2, 3 from the input's rank); channels last by default."""
    filter = _one_of("filters", filters, "filter", filter)
    dilation_rate = _one_of("dilations", dilations, "dilation_rate", dilation_rate)
    with name_scope(name, "convolution", [input, filter]) as scope:
        input = convert_to_tensor(input, name="input")
        filter = convert_to_tensor(filter, dtype=input.dtype, name="filter")
        rank = input.shape.ndims or filter.shape.ndims
        if rank not in (3, 4, 5):
            raise ValueError(
                f"input and filter must have rank 3, 4 or 5 (1 to 3 spatial dims), got {rank}"
            )
        n = rank - 2
        strides = [1] * n if strides is None else list(np.broadcast_to(strides, (n,)))
        rate = [1] * n if dilation_rate is None else list(np.broadcast_to(dilation_rate, (n,)))
        if max(rate) > 1 and max(strides) > 1:
            raise ValueError("strides > 1 not supported in conjunction with dilation_rate > 1")
        if data_format is not None and data_format.startswith("NC"):
            fmt = {1: "NCW", 2: "NCHW", 3: "NCDHW"}[n]
        else:
            fmt = {1: "NWC", 2: "NHWC", 3: "NDHWC"}[n]
        if n == 1:
            return conv1d(
                input, filter, strides, padding, data_format=fmt, dilations=rate, name=scope
            )
        build = conv2d if n == 2 else conv3d
        return build(input, filter, strides, padding, data_format=fmt, dilations=rate, name=scope)


def _transpose(
    op_type,
    value,
    filter,
    output_shape,
    strides,
    padding,
    data_format,
    dilations,
    name,
    default_name,
    rank,
):
    with name_scope(name, default_name, [value, filter, output_shape]) as scope:
        value = convert_to_tensor(value, name="value")
        filter = convert_to_tensor(filter, dtype=value.dtype, name="filter")
        data_format = data_format or _FORMATS[rank - 2][0]
        c = 1 if data_format.startswith("NC") else rank - 1
        in_channels, out_channels = _dim(value, c), _dim(filter, rank - 1)
        if None not in (in_channels, out_channels) and in_channels != out_channels:
            raise ValueError(
                "input channels does not match filter's input channels, "
                f"{in_channels} != {out_channels}"
            )
        sizes = convert_to_tensor(output_shape, name="output_shape")
        if sizes.shape.ndims is not None and sizes.shape.as_list() not in ([rank], [None]):
            raise ValueError(f"output_shape must have shape ({rank},), got {sizes.shape}")
        if isinstance(output_shape, (list, tuple, np.ndarray)):
            want, have = _dim(filter, rank - 2), output_shape[c]
            if want is not None and isinstance(have, (int, np.integer)) and want != have:
                raise ValueError(
                    f"output_shape does not match filter's output channels, {want} != {have}"
                )
        padding, explicit = _convert_padding(padding)
        strides = _get_sequence(strides, rank - 2, c, "strides")
        dilations = _get_sequence(dilations, rank - 2, c, "dilations")
        _check_attrs(op_type, data_format, padding, strides, dilations, explicit, rank=rank)
        _float_inputs(op_type, value, filter)
        attrs = dict(
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilations=dilations,
            T=value.dtype.base_dtype.numpy_dtype,
        )
        if explicit:
            attrs["explicit_paddings"] = explicit
        return apply_op(op_type, [sizes, filter, value], name=scope, **attrs)


def _dim(t: Tensor, axis: int):
    return None if t.shape.ndims is None else t.shape.as_list()[axis]


def conv2d_transpose(
    value=None,
    filter=None,
    output_shape=None,
    strides=None,
    padding="SAME",
    data_format="NHWC",
    name=None,
    input=None,
    filters=None,
    dilations=None,
) -> Tensor:
    """The gradient of conv2d with respect to its input (Conv2DBackpropInput)."""
    value = _one_of("input", input, "value", value)
    filter = _one_of("filters", filters, "filter", filter)
    return _transpose(
        "Conv2DBackpropInput",
        value,
        filter,
        output_shape,
        strides,
        padding,
        data_format,
        dilations,
        name,
        "conv2d_transpose",
        4,
    )


def conv3d_transpose(
    value,
    filter=None,
    output_shape=None,
    strides=None,
    padding="SAME",
    data_format="NDHWC",
    name=None,
    input=None,
    filters=None,
    dilations=None,
) -> Tensor:
    """The gradient of conv3d with respect to its input (Conv3DBackpropInputV2)."""
    value = _one_of("input", input, "value", value)
    filter = _one_of("filters", filters, "filter", filter)
    if isinstance(padding, (list, tuple)):
        raise ValueError("conv3d_transpose: padding must be 'SAME' or 'VALID'")
    return _transpose(
        "Conv3DBackpropInputV2",
        value,
        filter,
        output_shape,
        strides,
        padding,
        data_format,
        dilations,
        name,
        "conv3d_transpose",
        5,
    )


# -- pooling ---------------------------------------------------------------------------------


def _pool_op(op_type, value, ksize, strides, padding, data_format, name, rank):
    data_format = data_format or _FORMATS[rank - 2][0]
    with name_scope(name, op_type, [value]) as scope:
        value = convert_to_tensor(value, name="input")
        formats = _FORMATS[rank - 2]
        if data_format not in formats:
            raise ValueError(
                f"{op_type}: data_format must be one of {list(formats)}, got {data_format!r}"
            )
        c = data_format.index("C")
        ksize = _get_sequence(ksize, rank - 2, c, "ksize")
        strides = _get_sequence(strides, rank - 2, c, "strides")
        if ksize[0] != 1 or strides[0] != 1:
            raise ValueError(f"{op_type}: Pooling is not yet supported on the batch dimension.")
        _check_attrs(op_type, data_format, padding, None, explicit=None, rank=rank)
        for attr, values in (("ksize", ksize), ("strides", strides)):
            if min(values) < 1:
                raise ValueError(f"{op_type}: {attr} must be positive, got {list(values)}")
        if value.dtype.base_dtype not in _FLOATS + tuple(dtypes.INTEGER_TYPES):
            raise TypeError(f"{op_type}: input must be a real number type, got {value.dtype.name}")
        return apply_op(
            op_type,
            [value],
            name=scope,
            ksize=ksize,
            strides=strides,
            padding=padding,
            data_format=data_format,
            T=value.dtype.base_dtype.numpy_dtype,
        )


def max_pool(
    value=None, ksize=None, strides=None, padding=None, data_format="NHWC", name=None, input=None
) -> Tensor:
    """Max over `ksize` windows moved by `strides`."""
    value = _one_of("input", input, "value", value)
    return _pool_op("MaxPool", value, ksize, strides, padding, data_format, name, 4)


def avg_pool(
    value=None, ksize=None, strides=None, padding=None, data_format="NHWC", name=None, input=None
) -> Tensor:
    """Mean over windows; SAME windows average only the elements inside the input."""
    value = _one_of("input", input, "value", value)
    if value is not None and not isinstance(value, Tensor):
        value = convert_to_tensor(value, name="input")
    if value.dtype.base_dtype not in _FLOATS:
        raise TypeError(f"AvgPool: input must be a float type, got {value.dtype.name}")
    return _pool_op("AvgPool", value, ksize, strides, padding, data_format, name, 4)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None) -> Tensor:
    """3-D max pooling."""
    return _pool_op("MaxPool3D", input, ksize, strides, padding, data_format, name, 5)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None) -> Tensor:
    """3-D average pooling (SAME windows average only the elements inside the input)."""
    input = convert_to_tensor(input, name="input")
    if input.dtype.base_dtype not in _FLOATS:
        raise TypeError(f"AvgPool3D: input must be a float type, got {input.dtype.name}")
    return _pool_op("AvgPool3D", input, ksize, strides, padding, data_format, name, 5)


def max_pool_with_argmax(
    input,
    ksize,
    strides,
    padding,
    data_format="NHWC",
    Targmax=None,
    name=None,
    output_dtype=None,
    include_batch_in_index=False,
):
    """Max pooling and the flattened index of each max: (y * w + x) * c + channel, plus
    b * h * w * c with `include_batch_in_index`. Returns (output, argmax)."""
    if data_format != "NHWC":
        raise ValueError("Data formats other than 'NHWC' are not yet supported")
    Targmax = _one_of("output_dtype", output_dtype, "Targmax", Targmax)
    Targmax = dtypes.as_dtype(Targmax or dtypes.int64).base_dtype
    if Targmax not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"MaxPoolWithArgmax: Targmax must be int32 or int64, got {Targmax.name}")
    input = convert_to_tensor(input, name="input")
    ksize = _get_sequence(ksize, 2, 3, "ksize")
    strides = _get_sequence(strides, 2, 3, "strides")
    if ksize[0] != 1 or strides[0] != 1 or ksize[3] != 1 or strides[3] != 1:
        raise ValueError(
            "MaxPoolWithArgmax: Pooling is not yet supported on the batch or depth dimension."
        )
    _check_attrs("MaxPoolWithArgmax", "NHWC", padding, None, explicit=None)
    if input.dtype.base_dtype not in _FLOATS + tuple(dtypes.INTEGER_TYPES):
        raise TypeError(
            f"MaxPoolWithArgmax: input must be a real number type, got {input.dtype.name}"
        )
    return apply_op(
        "MaxPoolWithArgmax",
        [input],
        name=name,
        ksize=ksize,
        strides=strides,
        padding=padding,
        Targmax=Targmax.numpy_dtype,
        include_batch_in_index=bool(include_batch_in_index),
        T=input.dtype.base_dtype.numpy_dtype,
    )


def pool(
    input,
    window_shape,
    pooling_type,
    padding,
    dilation_rate=None,
    strides=None,
    name=None,
    data_format=None,
) -> Tensor:
    """N-d (1 to 3 spatial dims) max or average pooling, optionally dilated.

    As in TF1, a dilated pooling (`dilation_rate` > 1, VALID padding only) moves each of the
    `dilation_rate` phases of the input into the batch (`space_to_batch_nd`), pools them
    undilated and interleaves the results back (`batch_to_space_nd`).

    Example:
      >>> x = tf.reshape(tf.range(7.0), [1, 7, 1])
      >>> tf.nn.pool(x, [2], "MAX", "VALID", dilation_rate=[2])   # [[[2.], [3.], ..., [6.]]]
    """
    if pooling_type not in ("MAX", "AVG"):
        raise ValueError(f"Invalid pooling_type: {pooling_type}")
    with name_scope(name, f"{pooling_type.lower()}_pool", [input]) as scope:
        input = convert_to_tensor(input, name="input")
        window_shape = [int(w) for w in np.ravel(window_shape)]
        n = len(window_shape)
        if n not in (1, 2, 3):
            raise ValueError(f"It is required that 1 <= num_spatial_dims <= 3, got {n}")
        if input.shape.ndims is not None and input.shape.ndims != n + 2:
            raise ValueError(f"input tensor must have rank {n + 2}")
        strides = [1] * n if strides is None else [int(s) for s in np.ravel(strides)]
        rate = [1] * n if dilation_rate is None else [int(r) for r in np.ravel(dilation_rate)]
        if len(strides) != n or len(rate) != n:
            raise ValueError(f"strides and dilation_rate must have length {n}")
        if min(rate) < 1:
            raise ValueError("all values of dilation_rate must be positive")
        if max(strides) > 1 and max(rate) > 1:
            raise ValueError("strides > 1 not supported in conjunction with dilation_rate > 1")
        if padding == "SAME" and max(rate) > 1:
            raise ValueError("pooling with SAME padding is not implemented for dilation_rate > 1")
        if any(s > w for s, w in zip(strides, window_shape)):
            raise ValueError(
                "strides > window_shape not supported due to inconsistency "
                "between CPU and GPU implementations"
            )
        channels_first = data_format is not None and data_format.startswith("NC")
        args = (pooling_type, window_shape, strides, padding, channels_first, scope)
        if max(rate) == 1:
            return _pool_undilated(input, *args)
        return _with_space_to_batch(
            input, rate, channels_first, lambda x: _pool_undilated(x, *args)
        )


def _pool_undilated(x, pooling_type, window_shape, strides, padding, channels_first, scope):
    """`pool` without dilation: the 2-D or 3-D pooling op (1-D pools a height-1 image)."""
    n = len(window_shape)
    if n == 1:
        spatial_start = 2 if channels_first else 1
        x = array_ops.expand_dims(x, spatial_start)
        fmt = "NCHW" if channels_first else "NHWC"
        window_shape, strides = [1] + window_shape, [1] + strides
    else:
        fmt = _FORMATS[n][1 if channels_first else 0]
    build = {
        ("MAX", 2): max_pool,
        ("AVG", 2): avg_pool,
        ("MAX", 3): max_pool3d,
        ("AVG", 3): avg_pool3d,
    }[pooling_type, max(n, 2)]
    out = build(x, window_shape, strides, padding, data_format=fmt, name=scope if n > 1 else None)
    if n == 1:
        return array_ops.squeeze(out, [spatial_start], name=scope)
    return out


def _with_space_to_batch(x, rate, channels_first, op) -> Tensor:
    """`op` (a VALID op) applied with `rate` dilation: TF's `with_space_to_batch`. The spatial
    dims are zero-padded at the end to multiples of `rate`; the padding is cropped again and
    never reaches a kept output, since a VALID window only covers real elements."""
    first = 2 if channels_first else 1
    spatial = x.shape.as_list()[first : first + len(rate)] if x.shape.ndims else [None]
    block = [1] * (first - 1) + list(rate)  # channels first: no blocks over the channel dim
    if None not in spatial:
        pad_ends = [0] * (first - 1) + [-size % r for size, r in zip(spatial, rate)]
        paddings = np.array([[0, p] for p in pad_ends], np.int32)
    else:
        sizes = array_ops.shape(x)[1 : first + len(rate)]
        pad_ends = -sizes % np.array(block, np.int32)
        paddings = array_ops.stack([array_ops.zeros_like(pad_ends), pad_ends], axis=1)
    blocks = array_ops.space_to_batch_nd(x, block, paddings)
    result = array_ops.batch_to_space_nd(op(blocks), block, paddings)
    if x.shape.ndims is not None:  # the batch and channel dims, which computed paddings hide
        dims = x.shape.as_list()
        dims[first : first + len(rate)] = [None] * len(rate)
        result.set_shape(dims)
    return result
