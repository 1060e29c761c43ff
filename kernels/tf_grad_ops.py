"""TensorFlow's gradient ops (`TanhGrad`, `ReluGrad`, `BiasAddGrad`, `BroadcastGradientArgs`…).

flowgraph's own gradients are VJP nodes; these kernels run the gradient subgraphs that
TensorFlow's `tf.gradients` wrote into imported GraphDefs and MetaGraphs. An activation's
gradient op takes the forward op's output (`y`, `outputs`) or input (`features`) and the
incoming gradient.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.registry import Spec, register
from kernels.shapes import broadcast_shapes
from kernels.strided_slice import strided_slice

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _same_shape(specs, attrs, static_values):
    return [Spec(broadcast_shapes(specs[0].shape, specs[1].shape), specs[0].dtype)]


@register("TanhGrad", shape=_same_shape)
def tanh_grad(y, dy):
    return dy * (1 - y * y)


@register("SigmoidGrad", shape=_same_shape)
def sigmoid_grad(y, dy):
    return dy * y * (1 - y)


@register("SqrtGrad", shape=_same_shape)
def sqrt_grad(y, dy):
    return dy * 0.5 / y


@register("RsqrtGrad", shape=_same_shape)
def rsqrt_grad(y, dy):
    return dy * -0.5 * y * y * y


@register("ReciprocalGrad", shape=_same_shape)
def reciprocal_grad(y, dy):
    return -dy * y * y


@register("ReluGrad", shape=_same_shape)
def relu_grad(gradients, features):
    return jnp.where(features > 0, gradients, 0).astype(gradients.dtype)


@register("Relu6Grad", shape=_same_shape)
def relu6_grad(gradients, features):
    inside = (features > 0) & (features < 6)
    return jnp.where(inside, gradients, 0).astype(gradients.dtype)


@register("LeakyReluGrad", shape=_same_shape)
def leaky_relu_grad(gradients, features, *, alpha: float = 0.2):
    return jnp.where(features > 0, gradients, gradients * jnp.asarray(alpha, gradients.dtype))


@register("EluGrad", shape=_same_shape)
def elu_grad(gradients, outputs):
    return jnp.where(outputs < 0, gradients * (outputs + 1), gradients)


@register("SeluGrad", shape=_same_shape)
def selu_grad(gradients, outputs):
    negative = gradients * (outputs + _SELU_ALPHA * _SELU_SCALE)
    return jnp.where(outputs < 0, negative, gradients * _SELU_SCALE)


@register("SoftplusGrad", shape=_same_shape)
def softplus_grad(gradients, features):
    return gradients / (1 + jnp.exp(-features))


@register("SoftsignGrad", shape=_same_shape)
def softsign_grad(gradients, features):
    return gradients / jnp.square(1 + jnp.abs(features))


def _bias_add_grad_shape(specs, attrs, static_values):
    shape = specs[0].shape
    if shape is None:
        return [Spec((None,), specs[0].dtype)]
    channel = 1 if attrs.get("data_format") == "NCHW" and len(shape) > 2 else -1
    return [Spec((shape[channel],), specs[0].dtype)]


@register("BiasAddGrad", shape=_bias_add_grad_shape)
def bias_add_grad(out_backprop, *, data_format: str = "NHWC"):
    channel = 1 if data_format == "NCHW" and out_backprop.ndim > 2 else out_backprop.ndim - 1
    axes = tuple(a for a in range(out_backprop.ndim) if a != channel)
    return jnp.sum(out_backprop, axis=axes)


def _reduction_axes(s0, s1) -> tuple[list[int], list[int]]:
    """TF's BCast: the axes of the broadcast shape each input's gradient is summed over."""
    s0, s1 = [int(d) for d in np.ravel(s0)], [int(d) for d in np.ravel(s1)]
    if s0 == s1:
        return [], []
    n = max(len(s0), len(s1))
    x, y = [1] * (n - len(s0)) + s0, [1] * (n - len(s1)) + s1
    r0, r1 = [], []
    for i, (a, b) in enumerate(zip(x, y)):
        if a != b and 1 not in (a, b):
            raise ValueError(f"Incompatible shapes: {s0} vs. {s1}")
        if a == 1:
            r0.append(i)
        if b == 1:
            r1.append(i)
    return r0, r1


def _broadcast_gradient_args_shape(specs, attrs, static_values):
    dtype = specs[0].dtype
    if any(v is None for v in static_values):
        return [Spec((None,), dtype), Spec((None,), dtype)]
    r0, r1 = _reduction_axes(*static_values)
    return [Spec((len(r0),), dtype), Spec((len(r1),), dtype)]


@register("BroadcastGradientArgs", static=("s0", "s1"), shape=_broadcast_gradient_args_shape)
def broadcast_gradient_args(s0, s1):
    r0, r1 = _reduction_axes(s0, s1)
    dtype = np.asarray(s0).dtype
    return np.asarray(r0, dtype), np.asarray(r1, dtype)


def _strided_slice_grad_shape(specs, attrs, static_values):
    shape = static_values[0]
    if shape is None:
        return [Spec(None, specs[4].dtype)]
    return [Spec(tuple(int(d) for d in np.ravel(shape)), specs[4].dtype)]


@register(
    "StridedSliceGrad",
    static=("shape", "begin", "end", "strides"),
    shape=_strided_slice_grad_shape,
)
def strided_slice_grad(
    shape,
    begin,
    end,
    strides,
    dy,
    *,
    begin_mask: int = 0,
    end_mask: int = 0,
    ellipsis_mask: int = 0,
    new_axis_mask: int = 0,
    shrink_axis_mask: int = 0,
):
    """`dy` put where `StridedSlice` took its slice from a tensor of `shape`; zeros
    elsewhere (the transpose of the slice)."""
    masks = dict(
        begin_mask=begin_mask,
        end_mask=end_mask,
        ellipsis_mask=ellipsis_mask,
        new_axis_mask=new_axis_mask,
        shrink_axis_mask=shrink_axis_mask,
    )
    zeros = jnp.zeros(tuple(int(d) for d in np.ravel(shape)), dy.dtype)
    _, transpose = jax.vjp(lambda x: strided_slice(x, begin, end, strides, **masks), zeros)
    return transpose(dy)[0]


def _concat_offset_shape(specs, attrs, static_values):
    return [Spec(s.shape, s.dtype) for s in specs[1:]]


@register("ConcatOffset", static=("*",), shape=_concat_offset_shape)
def concat_offset(concat_dim, *shape):
    """Where each input of a `ConcatV2` starts in its output (`ConcatV2`'s gradient
    slices the incoming gradient there)."""
    axis = int(concat_dim) % len(shape[0])
    offsets, start = [], 0
    for s in shape:
        offset = np.zeros_like(np.asarray(s))
        offset[axis] = start
        start += int(s[axis])
        offsets.append(offset)
    return tuple(offsets)
