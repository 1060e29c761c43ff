"""Fake quantization with tensor ranges: FakeQuantWithMinMaxVars (one range, or one per
channel of the last dimension) and their gradient ops."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from kernels.registry import Spec, register
from kernels.shapes import same_as_first


def _nudge(min, max, num_bits: int, narrow_range: bool):  # noqa: A002
    """TF's nudged (min, max, scale) for tensor ranges: 0 becomes exactly representable."""
    quant_min = np.float32(1 if narrow_range else 0)
    quant_max = np.float32((1 << num_bits) - 1)
    min, max = jnp.asarray(min, jnp.float32), jnp.asarray(max, jnp.float32)  # noqa: A001
    scale = (max - min) / (quant_max - quant_min)
    zero_point = quant_min - min / scale
    rounded = jnp.sign(zero_point) * jnp.floor(jnp.abs(zero_point) + np.float32(0.5))
    nudged = jnp.clip(rounded, quant_min, quant_max)
    return (quant_min - nudged) * scale, (quant_max - nudged) * scale, scale


def _quantize(inputs, min, max, num_bits, narrow_range):  # noqa: A002
    lo, hi, scale = _nudge(min, max, num_bits, narrow_range)
    clamped = jnp.clip(inputs, lo, hi)
    return jnp.floor((clamped - lo) / scale + np.float32(0.5)) * scale + lo


def _gradients(gradients, inputs, min, max, num_bits, narrow_range, axes):  # noqa: A002
    lo, hi, _ = _nudge(min, max, num_bits, narrow_range)
    zeros = jnp.zeros_like(gradients)
    below, above = inputs < lo, inputs > hi
    wrt_input = jnp.where(below | above, zeros, gradients)
    wrt_min = jnp.sum(jnp.where(below, gradients, zeros), axis=axes)
    wrt_max = jnp.sum(jnp.where(above, gradients, zeros), axis=axes)
    return wrt_input, wrt_min, wrt_max


@register("FakeQuantWithMinMaxVars", shape=same_as_first)
def fake_quant_with_min_max_vars(inputs, min, max, *, num_bits=8, narrow_range=False):  # noqa: A002
    return _quantize(inputs, min, max, num_bits, narrow_range)


@register("FakeQuantWithMinMaxVarsPerChannel")  # the kernel checks the ranges' shapes
def fake_quant_with_min_max_vars_per_channel(
    inputs,
    min,
    max,
    *,
    num_bits=8,  # noqa: A002
    narrow_range=False,
):
    if min.shape != (inputs.shape[-1],) or max.shape != (inputs.shape[-1],):
        raise ValueError(
            f"min and max must have shape [{inputs.shape[-1]}] (the last "
            f"dimension of inputs), got {list(min.shape)} and {list(max.shape)}"
        )
    return _quantize(inputs, min, max, num_bits, narrow_range)


def _gradient_shape(specs, attrs, static_values):
    return [specs[1], Spec(specs[2].shape, specs[2].dtype), Spec(specs[3].shape, specs[3].dtype)]


@register("FakeQuantWithMinMaxVarsGradient", shape=_gradient_shape)
def fake_quant_with_min_max_vars_gradient(
    gradients,
    inputs,
    min,
    max,
    *,
    num_bits=8,  # noqa: A002
    narrow_range=False,
):
    return _gradients(gradients, inputs, min, max, num_bits, narrow_range, None)


@register("FakeQuantWithMinMaxVarsPerChannelGradient", shape=_gradient_shape)
def fake_quant_with_min_max_vars_per_channel_gradient(
    gradients,
    inputs,
    min,
    max,
    *,  # noqa: A002
    num_bits=8,
    narrow_range=False,
):
    axes = tuple(range(inputs.ndim - 1))
    return _gradients(gradients, inputs, min, max, num_bits, narrow_range, axes)
