"""Histogram kernels: counts of values in equal-width bins."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from kernels.registry import Spec, register


def _histogram_shape(specs, attrs, static_values):
    nbins = static_values[2]
    size = None if nbins is None else int(np.asarray(nbins))
    return [Spec((size,), np.dtype(attrs.get("dtype", np.int32)))]


def bin_indices(values, value_range, nbins: int):
    """The bin of each value: [lo, hi) cut in `nbins` equal bins, values outside going to
    the first or last bin."""
    lo, hi = value_range[0].astype(jnp.float64), value_range[1].astype(jnp.float64)
    scaled = (values.astype(jnp.float64) - lo) / (hi - lo) * nbins
    return jnp.clip(jnp.floor(scaled), 0, nbins - 1).astype(jnp.int32)


@register("HistogramFixedWidth", static=("nbins",), shape=_histogram_shape)
def histogram_fixed_width(values, value_range, nbins, *, dtype=np.int32):
    n = int(np.asarray(nbins))
    if n <= 0:
        raise ValueError(f"nbins should be a positive number, but got '{n}'")
    index = bin_indices(values, value_range, n).reshape(-1)
    return jnp.zeros(n, dtype).at[index].add(1)
