"""Convolution gradients as ops: the filter gradient of Conv2D/Conv3D and both gradients
of DepthwiseConv2dNative (TF's *Backprop* ops), as transposes of the forward convolution."""

from __future__ import annotations

import jax
import numpy as np

from kernels import conv_onednn
from kernels.conv import (
    _check_conv,
    _conv,
    _full_sizes,
    depthwise_conv2d_native,
    onednn_geometry,
)
from kernels.registry import Spec, register


def _sizes_shape(index: int):
    """The output is shaped by the static sizes input at `index` (a full shape)."""

    def shape(specs, attrs, static_values):
        sizes = static_values[index]
        known = all(s.shape is not None and None not in s.shape for s in specs)
        if sizes is not None and known:
            return None  # the kernel itself checks out_backprop (jax.eval_shape)
        dims = None if sizes is None else tuple(int(v) for v in np.asarray(sizes).reshape(-1))
        return [Spec(dims, specs[2].dtype)]

    return shape


def _check_out(op, forward, like, out_backprop) -> None:
    expected = jax.eval_shape(forward, like).shape
    if tuple(out_backprop.shape) != tuple(expected):
        raise ValueError(
            f"{op}: Size of out_backprop doesn't match computed: actual = "
            f"{list(out_backprop.shape)}, computed = {list(expected)}"
        )


def _filter_gradient(op, input, filter_sizes, out_backprop, strides, padding, attrs):
    """The gradient wrt a filter of shape `filter_sizes`; `attrs`: data_format, dilations
    and explicit_paddings."""
    data_format, dilations = attrs["data_format"], attrs["dilations"]
    sizes = tuple(int(v) for v in np.asarray(filter_sizes).reshape(-1))
    w = jax.ShapeDtypeStruct(sizes, out_backprop.dtype)
    groups = _check_conv(op, input, w, data_format, dilations, padding)

    def forward(v):
        pads = attrs.get("explicit_paddings", ())
        return _conv(input, v, strides, padding, pads, data_format, dilations, groups)

    _check_out(op, forward, w, out_backprop)
    if conv_onednn.usable(input, w, data_format, groups):
        pads = attrs.get("explicit_paddings", ())
        geo = onednn_geometry(input, w, strides, padding, pads, dilations)
        return conv_onednn.backprop_filter(input, out_backprop, sizes, geo)
    return jax.linear_transpose(forward, w)(out_backprop)[0]


@register("Conv2DBackpropFilter", static=("filter_sizes",), shape=_sizes_shape(1))
def conv2d_backprop_filter(
    input,
    filter_sizes,
    out_backprop,
    *,
    strides,
    padding,
    data_format,
    dilations,
    explicit_paddings=(),
    use_cudnn_on_gpu=True,
):
    attrs = dict(data_format=data_format, dilations=dilations, explicit_paddings=explicit_paddings)
    return _filter_gradient(
        "Conv2DBackpropFilter", input, filter_sizes, out_backprop, strides, padding, attrs
    )


@register("Conv3DBackpropFilterV2", static=("filter_sizes",), shape=_sizes_shape(1))
def conv3d_backprop_filter_v2(
    input, filter_sizes, out_backprop, *, strides, padding, data_format, dilations
):
    attrs = dict(data_format=data_format, dilations=dilations)
    return _filter_gradient(
        "Conv3DBackpropFilterV2", input, filter_sizes, out_backprop, strides, padding, attrs
    )


def _depthwise(input, filter, attrs):
    return depthwise_conv2d_native(input, filter, **attrs)


@register("DepthwiseConv2dNativeBackpropInput", static=("input_sizes",), shape=_sizes_shape(0))
def depthwise_conv2d_native_backprop_input(
    input_sizes,
    filter,
    out_backprop,
    *,
    strides,
    padding,
    data_format,
    dilations,
    explicit_paddings=(),
):
    attrs = dict(
        strides=strides,
        padding=padding,
        data_format=data_format,
        dilations=dilations,
        explicit_paddings=explicit_paddings,
    )
    sizes = _full_sizes(input_sizes, filter.shape, out_backprop.shape, data_format)
    x = jax.ShapeDtypeStruct(sizes, out_backprop.dtype)
    _check_out(
        "DepthwiseConv2dNativeBackpropInput",
        lambda v: _depthwise(v, filter, attrs),
        x,
        out_backprop,
    )
    return jax.linear_transpose(lambda v: _depthwise(v, filter, attrs), x)(out_backprop)[0]


@register("DepthwiseConv2dNativeBackpropFilter", static=("filter_sizes",), shape=_sizes_shape(1))
def depthwise_conv2d_native_backprop_filter(
    input,
    filter_sizes,
    out_backprop,
    *,
    strides,
    padding,
    data_format,
    dilations,
    explicit_paddings=(),
):
    attrs = dict(
        strides=strides,
        padding=padding,
        data_format=data_format,
        dilations=dilations,
        explicit_paddings=explicit_paddings,
    )
    sizes = tuple(int(v) for v in np.asarray(filter_sizes).reshape(-1))
    w = jax.ShapeDtypeStruct(sizes, out_backprop.dtype)
    _check_out(
        "DepthwiseConv2dNativeBackpropFilter",
        lambda v: _depthwise(input, v, attrs),
        w,
        out_backprop,
    )
    return jax.linear_transpose(lambda v: _depthwise(input, v, attrs), w)(out_backprop)[0]
