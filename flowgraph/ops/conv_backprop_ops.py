"""Convolution gradients as ops (`tf.nn.conv2d_backprop_input`, `_filter`, the depthwise
and 3-D ones): what `tf.gradients` of a convolution computes, callable directly."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.ops import array_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.conv_ops import _check_attrs, _convert_padding, _float_inputs, _get_sequence


def _attrs(op_type, padding, strides, dilations, data_format, rank, explicit_ok=True):
    padding, explicit = _convert_padding(padding)
    c = 1 if data_format.startswith("NC") else rank - 1
    strides = _get_sequence(strides, rank - 2, c, "strides")
    dilations = _get_sequence(dilations, rank - 2, c, "dilations")
    _check_attrs(
        op_type,
        data_format,
        padding,
        strides,
        dilations,
        explicit if explicit_ok else None,
        rank=rank,
    )
    attrs = dict(strides=strides, padding=padding, data_format=data_format, dilations=dilations)
    if explicit:
        attrs["explicit_paddings"] = explicit
    return attrs


def _backprop(
    op_type, sizes, a, b, strides, padding, data_format, dilations, name, rank, sizes_first: bool
) -> Tensor:
    attrs = _attrs(op_type, padding, strides, dilations, data_format, rank, explicit_ok=rank == 4)
    sizes = convert_to_tensor(sizes, dtype=dtypes.int32, name="sizes")
    a = convert_to_tensor(a)
    b = convert_to_tensor(b, dtype=a.dtype.base_dtype)
    _float_inputs(op_type, a, b)
    inputs = [sizes, a, b] if sizes_first else [a, sizes, b]
    return apply_op(op_type, inputs, name=name, T=a.dtype.base_dtype.numpy_dtype, **attrs)


def conv2d_backprop_input(
    input_sizes,
    filter=None,
    out_backprop=None,
    strides=None,
    padding=None,
    use_cudnn_on_gpu=True,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
    filters=None,
) -> Tensor:
    """The gradient of `conv2d` with respect to its input, of shape `input_sizes`."""
    filter = filters if filter is None else filter
    return _backprop(
        "Conv2DBackpropInput",
        input_sizes,
        filter,
        out_backprop,
        strides,
        padding,
        data_format,
        dilations,
        name,
        4,
        sizes_first=True,
    )


def conv2d_backprop_filter(
    input,
    filter_sizes,
    out_backprop,
    strides,
    padding,
    use_cudnn_on_gpu=True,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
) -> Tensor:
    """The gradient of `conv2d` with respect to its filter, of shape `filter_sizes`."""
    return _backprop(
        "Conv2DBackpropFilter",
        filter_sizes,
        input,
        out_backprop,
        strides,
        padding,
        data_format,
        dilations,
        name,
        4,
        sizes_first=False,
    )


def conv2d_backprop_input_v2(
    input, filters, out_backprop, strides, padding, data_format="NHWC", dilations=None, name=None
) -> Tensor:
    """`conv2d_backprop_input` shaped like the tensor `input`."""
    return conv2d_backprop_input(
        array_ops.shape(input),
        filters,
        out_backprop,
        strides,
        padding,
        data_format=data_format,
        dilations=dilations,
        name=name,
    )


def conv2d_backprop_filter_v2(
    input, filter, out_backprop, strides, padding, data_format="NHWC", dilations=None, name=None
) -> Tensor:
    """`conv2d_backprop_filter` shaped like the tensor `filter`."""
    return conv2d_backprop_filter(
        input,
        array_ops.shape(filter),
        out_backprop,
        strides,
        padding,
        data_format=data_format,
        dilations=dilations,
        name=name,
    )


def conv3d_backprop_filter(
    input,
    filter_sizes,
    out_backprop,
    strides,
    padding,
    data_format="NDHWC",
    dilations=(1, 1, 1, 1, 1),
    name=None,
) -> Tensor:
    """The gradient of `conv3d` with respect to its filter, of shape `filter_sizes`."""
    return _backprop(
        "Conv3DBackpropFilterV2",
        filter_sizes,
        input,
        out_backprop,
        strides,
        padding,
        data_format,
        dilations,
        name,
        5,
        sizes_first=False,
    )


conv3d_backprop_filter_v2 = conv3d_backprop_filter


def depthwise_conv2d_native_backprop_input(
    input_sizes,
    filter,
    out_backprop,
    strides,
    padding,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
) -> Tensor:
    """The gradient of `depthwise_conv2d_native` with respect to its input."""
    return _backprop(
        "DepthwiseConv2dNativeBackpropInput",
        input_sizes,
        filter,
        out_backprop,
        strides,
        padding,
        data_format,
        dilations,
        name,
        4,
        sizes_first=True,
    )


def depthwise_conv2d_native_backprop_filter(
    input,
    filter_sizes,
    out_backprop,
    strides,
    padding,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
) -> Tensor:
    """The gradient of `depthwise_conv2d_native` with respect to its filter."""
    return _backprop(
        "DepthwiseConv2dNativeBackpropFilter",
        filter_sizes,
        input,
        out_backprop,
        strides,
        padding,
        data_format,
        dilations,
        name,
        4,
        sizes_first=False,
    )
