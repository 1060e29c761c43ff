"""Bitwise kernels on integers: and, or, xor, invert, shifts and population count."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels.registry import Spec, register
from kernels.shapes import broadcast, same_as_first


@register("BitwiseAnd", shape=broadcast)
def bitwise_and(x, y):
    return jnp.bitwise_and(x, y)


@register("BitwiseOr", shape=broadcast)
def bitwise_or(x, y):
    return jnp.bitwise_or(x, y)


@register("BitwiseXor", shape=broadcast)
def bitwise_xor(x, y):
    return jnp.bitwise_xor(x, y)


@register("Invert", shape=same_as_first)
def invert(x):
    return jnp.invert(x)


@register("LeftShift", shape=broadcast)
def left_shift(x, y):
    return jnp.left_shift(x, y)


@register("RightShift", shape=broadcast)
def right_shift(x, y):
    # Arithmetic for signed types, logical for unsigned (jnp.right_shift does both).
    return jnp.right_shift(x, y)


@register(
    "PopulationCount",
    shape=lambda specs, attrs, static_values: [Spec(specs[0].shape, np.dtype(np.uint8))],
)
def population_count(x):
    return lax.population_count(x).astype(jnp.uint8)
