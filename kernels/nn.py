"""Neural-network kernels: activations, softmax, bias_add, losses."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.conventions import with_derivative
from kernels.op_def import allow_types
from kernels.registry import Spec, register
from kernels.shapes import broadcast_shapes, same_as_first

# TF's ReluGrad/Relu6Grad pass the gradient only strictly inside the linear part.
_relu = with_derivative(lambda x: jnp.maximum(x, 0), lambda x: x > 0)
_relu6 = with_derivative(lambda x: jnp.clip(x, 0, 6), lambda x: (x > 0) & (x < 6))


@register("Relu", shape=same_as_first)
def relu(features):
    return _relu(features)


@register("Relu6", shape=same_as_first)
def relu6(features):
    return _relu6(features)


@register("Elu", shape=same_as_first)
def elu(features):
    # < : at 0 the linear branch, so the slope there is 1 and its own derivative 0, as TF's
    # EluGrad and EluGradGrad (which tests the output < 0).
    return jnp.where(features < 0, jnp.expm1(features), features)


@register("Selu", shape=same_as_first)
def selu(features):
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    # >= : TF's SeluGrad takes the linear branch's slope at 0.
    return scale * jnp.where(features >= 0, features, alpha * jnp.expm1(features))


@register("Softplus", shape=same_as_first)
def softplus(features):
    return jnp.logaddexp(features, 0)


@register("Softsign", shape=same_as_first)
def softsign(features):
    return features / (1 + jnp.abs(features))


@register("LeakyRelu", shape=same_as_first)
def leaky_relu(features, *, alpha: float = 0.2):
    return jnp.where(features > 0, features, features * jnp.asarray(alpha, features.dtype))


@register("Softmax", shape=same_as_first)
def softmax(logits):
    return jax.nn.softmax(logits, axis=-1)


@register("LogSoftmax", shape=same_as_first)
def log_softmax(logits):
    return jax.nn.log_softmax(logits, axis=-1)


def _bias_add_shape(specs, attrs, static_values):
    """TF's BiasAddShape: the bias is a vector as long as the value's channel dim."""
    value, bias = specs[0].shape, specs[1].shape
    if value is not None and len(value) < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {len(value)}")
    if bias is not None and len(bias) != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {len(bias)}")
    if value is not None and bias is not None:
        channel = value[1] if attrs.get("data_format") == "NCHW" and len(value) > 2 else value[-1]
        if None not in (channel, bias[0]) and channel != bias[0]:
            raise ValueError(f"Dimensions must be equal, but are {channel} and {bias[0]}")
    return [specs[0]]


@register("BiasAdd", shape=_bias_add_shape)
def bias_add(value, bias, *, data_format: str = "NHWC"):
    if bias.ndim != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {bias.ndim}")
    if data_format == "NCHW" and value.ndim > 2:
        return value + bias.reshape((-1,) + (1,) * (value.ndim - 2))
    return value + bias


@register("L2Loss", shape=lambda specs, attrs, static_values: [Spec((), specs[0].dtype)])
def l2_loss(t):
    return jnp.sum(jnp.square(t)) / 2


def _xent_shape(specs, attrs, static_values):
    shape = specs[0].shape
    if specs[1].dtype == specs[0].dtype:  # dense labels broadcast against the logits (TF)
        broadcast_shapes(shape, specs[1].shape)
    batch = None if shape is None else shape[:-1]
    return [Spec(batch, specs[0].dtype), Spec(shape, specs[0].dtype)]


@register("SoftmaxCrossEntropyWithLogits", shape=_xent_shape)
def softmax_cross_entropy_with_logits(features, labels):
    log_probs = jax.nn.log_softmax(features, axis=-1)
    loss = -jnp.sum(labels * log_probs, axis=-1)
    return loss, jnp.exp(log_probs) - labels


@register("SparseSoftmaxCrossEntropyWithLogits", shape=_xent_shape)
def sparse_softmax_cross_entropy_with_logits(features, labels):
    log_probs = jax.nn.log_softmax(features, axis=-1)
    picked = jnp.take_along_axis(log_probs, labels[..., None].astype(np.int32), axis=-1)
    one_hot = jax.nn.one_hot(labels, features.shape[-1], dtype=features.dtype)
    return -picked[..., 0], jnp.exp(log_probs) - one_hot


@register("LRN", shape=same_as_first)
def lrn(input, *, depth_radius: int = 5, bias: float = 1.0, alpha: float = 1.0, beta: float = 0.5):
    # sqr_sum[..., d] = sum(input[..., d - r : d + r + 1] ** 2) over the last (depth) axis.
    sq = jnp.square(input.astype(jnp.float32) if input.dtype == jnp.float16 else input)
    window = (1,) * (input.ndim - 1) + (2 * depth_radius + 1,)
    pads = ((0, 0),) * (input.ndim - 1) + ((depth_radius, depth_radius),)
    sqr_sum = jax.lax.reduce_window(sq, 0.0, jax.lax.add, window, (1,) * input.ndim, pads)
    return (input / jnp.power(bias + alpha * sqr_sum, beta)).astype(input.dtype)


def _in_top_k_shape(specs, attrs, static_values):
    rows = [s.shape[0] for s in specs[:2] if s.shape is not None and s.shape[0] is not None]
    return [Spec((rows[0] if rows else None,), np.dtype(bool))]


@register("InTopKV2", static=("k",), shape=_in_top_k_shape)
def in_top_k(predictions, targets, k):
    # TF: true when fewer than k classes score strictly higher than the target's class;
    # false for an out-of-range target or a non-finite target score.
    n = predictions.shape[-1]
    valid = (targets >= 0) & (targets < n)
    safe = jnp.clip(targets, 0, n - 1).astype(jnp.int32)
    target_score = jnp.take_along_axis(predictions, safe[:, None], axis=1)
    higher = jnp.sum(predictions > target_score, axis=1)
    return valid & jnp.isfinite(target_score[:, 0]) & (higher < int(k))


def _fused_batch_norm_shape(specs, attrs, static_values):
    x, scale = specs[0], specs[1]
    channels = scale.shape if scale.shape is not None else (None,)
    if x.shape is not None and channels == (None,):
        channels = (x.shape[1 if attrs.get("data_format") == "NCHW" else 3],)
    stat = Spec(channels, np.dtype(np.float32) if x.dtype.itemsize < 4 else x.dtype)
    return [Spec(x.shape, x.dtype)] + [stat] * 4


# flowgraph computes in float64 too (TF's FusedBatchNorm: float only).
allow_types("FusedBatchNorm", "T", "double")


@register("FusedBatchNorm", shape=_fused_batch_norm_shape)
def fused_batch_norm(
    x,
    scale,
    offset,
    mean,
    variance,
    *,
    epsilon: float = 1e-4,
    data_format: str = "NHWC",
    is_training: bool = True,
):
    channel = 1 if data_format == "NCHW" else x.ndim - 1
    axes = tuple(i for i in range(x.ndim) if i != channel)
    bshape = [1] * x.ndim
    bshape[channel] = x.shape[channel]
    xf = x.astype(jnp.float32) if x.dtype in (jnp.float16, jnp.bfloat16) else x
    if is_training:
        mean = jnp.mean(xf, axis=axes)
        variance = jnp.mean(jnp.square(xf - mean.reshape(bshape)), axis=axes)
        n = xf.size // xf.shape[channel]
        saved_var = variance * (n / max(n - 1, 1))  # Bessel-corrected, as TF reports it
    else:
        saved_var = variance
    inv = jax.lax.rsqrt(variance + epsilon) * scale
    y = (xf - mean.reshape(bshape)) * inv.reshape(bshape) + offset.reshape(bshape)
    return y.astype(x.dtype), mean, saved_var, mean, variance
