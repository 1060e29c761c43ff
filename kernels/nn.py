"""Neural-network kernels: activations, softmax, bias_add, losses."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.registry import Spec, register
from kernels.shapes import same_as_first


@register("Relu", shape=same_as_first)
def relu(features):
    return jnp.maximum(features, 0)


@register("Relu6", shape=same_as_first)
def relu6(features):
    return jnp.clip(features, 0, 6)


@register("Elu", shape=same_as_first)
def elu(features):
    return jnp.where(features > 0, features, jnp.expm1(features))


@register("Selu", shape=same_as_first)
def selu(features):
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return scale * jnp.where(features > 0, features, alpha * jnp.expm1(features))


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


@register("BiasAdd", shape=same_as_first)
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
