"""Grayscale morphology: Dilation2D (max of input plus filter over dilated windows)."""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax

from kernels.registry import register


def _pads(size: int, window: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(pad before, pad after, output size) of one spatial dim, as TF's conv padding."""
    if padding == "VALID":
        return 0, 0, (size - window) // stride + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2, out


@register("Dilation2D")
def dilation2d(input, filter, *, strides, rates, padding):
    if input.ndim != 4 or filter.ndim != 3:
        raise ValueError("input must be 4-D [batch, h, w, depth] and filter 3-D [h, w, depth]")
    (kh, kw, _), (_, sh, sw, _), (_, rh, rw, _) = filter.shape, strides, rates
    top, bottom, out_h = _pads(input.shape[1], (kh - 1) * rh + 1, sh, padding)
    left, right, out_w = _pads(input.shape[2], (kw - 1) * rw + 1, sw, padding)
    if out_h <= 0 or out_w <= 0:
        raise ValueError(
            f"Negative dimension size: filter {list(filter.shape)} with rates "
            f"{list(rates)} is larger than the input {list(input.shape)}"
        )
    low = (
        jnp.finfo(input.dtype).min
        if jnp.issubdtype(input.dtype, jnp.floating)
        else (jnp.iinfo(input.dtype).min)
    )
    x = jnp.pad(input, [(0, 0), (top, bottom), (left, right), (0, 0)], constant_values=low)
    out = None
    for i in range(kh):
        for j in range(kw):
            window = lax.slice(
                x,
                (0, i * rh, j * rw, 0),
                (
                    x.shape[0],
                    i * rh + (out_h - 1) * sh + 1,
                    j * rw + (out_w - 1) * sw + 1,
                    x.shape[3],
                ),
                (1, sh, sw, 1),
            )
            value = window + filter[i, j]
            # TF's kernel keeps the first maximum in filter order (a later one must be
            # greater), so at a tie the gradient goes to the first window, not split.
            out = value if out is None else jnp.where(value > out, value, out)
    return out
