"""ExtractVolumePatches: 3-D patches of a volume as the depth of the output."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from kernels.registry import register


@register("ExtractVolumePatches")
def extract_volume_patches(input, *, ksizes, strides, padding: str):
    if input.ndim != 5:
        raise ValueError(
            f"ExtractVolumePatches: input must be 5-dimensional, got shape {list(input.shape)}"
        )
    kp, kh, kw = ksizes[1:4]
    depth = input.shape[4]
    exact = input.dtype in (jnp.float64, jnp.float32)
    patches = jax.lax.conv_general_dilated_patches(
        input if exact else input.astype(jnp.float32),
        (kp, kh, kw),
        tuple(strides[1:4]),
        padding,
        dimension_numbers=("NDHWC", "DHWIO", "NDHWC"),
        precision=jax.lax.Precision.HIGHEST,
    )
    n, op, oh, ow, _ = patches.shape
    # jax orders a patch's features (depth, plane, row, col); TF (plane, row, col, depth).
    patches = patches.reshape(n, op, oh, ow, depth, kp * kh * kw).swapaxes(-1, -2)
    return patches.reshape(n, op, oh, ow, kp * kh * kw * depth).astype(input.dtype)
