"""Fractional max and average pooling (Graham, 2014) and their gradients over given sequences.

A pooling sequence of one spatial dim is `out + 1` cumulative boundaries (first 0, last the
input size); output cell i pools rows [seq[i], seq[i+1]) (through seq[i+1] when
`overlapping`, clipped to the input). Sequences are drawn as TF's kernels draw them, but from
jax's threefry stream instead of TF's Philox stream, so they differ from TF's for one seed.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels.errors import UnimplementedError
from kernels.random import _split
from kernels.registry import RNG, Spec, register


def _output_sizes(shape, pooling_ratio, what: str) -> list[int]:
    if len(pooling_ratio) != 4 or pooling_ratio[0] != 1.0 or pooling_ratio[3] != 1.0:
        raise UnimplementedError(
            None,
            None,
            f"Fractional {what} pooling is not yet supported on the batch nor channel dimension.",
        )
    sizes = []
    for dim, (size, ratio) in enumerate(zip(shape, pooling_ratio)):
        out = int(np.floor(size / ratio))
        if out <= 0:
            raise ValueError(
                f"Pooling ratio is higher than input dimension size for dimension {dim}. "
                f"Input dim size: {size} pooling ratio: {ratio:g}"
            )
        sizes.append(out)
    return sizes


def _sequence(key, size: int, out: int, pseudo_random: bool):
    """TF's GeneratePoolingSequence: `out` steps of k or k + 1 (k = size // out), cumulated."""
    k = size // out
    if pseudo_random:
        alpha = size / out
        max_u = min((k + 2) / alpha - 1, (size + 1 - k) / alpha - (out - 1))
        u = jax.random.uniform(key, (), jnp.float64 if jax.config.x64_enabled else jnp.float32)
        inner = jnp.ceil(alpha * (jnp.arange(1, out) + u * max_u)).astype(jnp.int64)
        bounds = jnp.concatenate([jnp.array([1]), inner, jnp.array([size + 1])])
        steps = jnp.diff(bounds)
    else:
        steps = jax.random.permutation(key, jnp.where(jnp.arange(out) < size % out, k + 1, k))
    return jnp.concatenate([jnp.zeros((1,), jnp.int64), jnp.cumsum(steps).astype(jnp.int64)])


def _masks(seq, size: int, overlapping: bool):
    """[out, size] bool: which input positions each output cell pools."""
    pos = jnp.arange(size)
    end = seq[1:] if overlapping else seq[1:] - 1
    return (pos[None, :] >= seq[:-1, None]) & (pos[None, :] <= end[:, None])


def _draw(key, value, pooling_ratio, pseudo_random, deterministic, what):
    _, rows, cols, _ = _output_sizes(value.shape, pooling_ratio, what)
    # A deterministic node keeps its key, so every run pools over the same regions.
    if deterministic:
        new_key, sub = key, jax.random.wrap_key_data(key, impl="threefry2x32")
    else:
        new_key, sub = _split(key)
    kr, kc = jax.random.split(sub)
    row_seq = _sequence(kr, value.shape[1], rows, pseudo_random)
    return row_seq, _sequence(kc, value.shape[2], cols, pseudo_random), new_key


def max_pool(value, row_seq, col_seq, overlapping: bool):
    """FractionalMaxPool's output for given sequences (separably: over columns, then rows)."""
    low = _lowest(value.dtype)
    mc = _masks(col_seq, value.shape[2], overlapping)  # [oc, w]
    mr = _masks(row_seq, value.shape[1], overlapping)  # [or, h]
    by_col = jnp.where(mc[None, None, :, :, None], value[:, :, None], low).max(axis=3)
    return jnp.where(mr[None, :, :, None, None], by_col[:, None], low).max(axis=2)


def avg_pool(value, row_seq, col_seq, overlapping: bool):
    """FractionalAvgPool's output for given sequences: each region's mean."""
    mr = _masks(row_seq, value.shape[1], overlapping).astype(value.dtype)
    mc = _masks(col_seq, value.shape[2], overlapping).astype(value.dtype)
    total = jnp.einsum("ih,bhwc,jw->bijc", mr, value, mc)
    count = mr.sum(1)[:, None] * mc.sum(1)[None, :]
    count = jnp.broadcast_to(count[None, :, :, None], total.shape).astype(total.dtype)
    # lax.div truncates integers toward zero, as TF's integer mean.
    return lax.div(total, count)


def _lowest(dtype):
    if jnp.issubdtype(dtype, jnp.floating):
        return jnp.finfo(dtype).min
    return jnp.iinfo(dtype).min


def _pool_shape(specs, attrs, static_values):
    # TF's shape function: floor(size / ratio) per dim, unchecked (the kernel checks).
    shape, ratio = specs[0].shape, attrs["pooling_ratio"]
    dims = (
        [None] * 4
        if shape is None
        else [None if d is None else int(np.floor(d / r)) for d, r in zip(shape, ratio)]
    )
    i64 = np.dtype(np.int64)
    seqs = [Spec((None if d is None else d + 1,), i64) for d in dims[1:3]]
    return [Spec(tuple(dims), specs[0].dtype), *seqs]


@register("FractionalMaxPool", effects=RNG, shape=_pool_shape)
def fractional_max_pool(
    key,
    value,
    *,
    pooling_ratio,
    pseudo_random=False,
    overlapping=False,
    deterministic=False,
    seed=0,
    seed2=0,
):
    rows, cols, key = _draw(key, value, pooling_ratio, pseudo_random, deterministic, "max")
    return (max_pool(value, rows, cols, overlapping), rows, cols), key


@register("FractionalAvgPool", effects=RNG, shape=_pool_shape)
def fractional_avg_pool(
    key,
    value,
    *,
    pooling_ratio,
    pseudo_random=False,
    overlapping=False,
    deterministic=False,
    seed=0,
    seed2=0,
):
    rows, cols, key = _draw(key, value, pooling_ratio, pseudo_random, deterministic, "average")
    return (avg_pool(value, rows, cols, overlapping), rows, cols), key


@register("FractionalMaxPoolGrad")
def fractional_max_pool_grad(
    orig_input,
    orig_output,
    out_backprop,
    row_pooling_sequence,
    col_pooling_sequence,
    *,
    overlapping=False,
):
    # Each region's gradient goes to its first max in row-major order, as TF's kernel: the
    # first max column of each row, then the first row holding the region's max.
    x, low = orig_input, _lowest(orig_input.dtype)
    _, height, width, _ = x.shape
    mc = _masks(col_pooling_sequence, width, overlapping)
    mr = _masks(row_pooling_sequence, height, overlapping)
    by_col = jnp.where(mc[None, None, :, :, None], x[:, :, None], low)  # [b, h, oc, w, c]
    col_arg, col_max = by_col.argmax(axis=3), by_col.max(axis=3)  # [b, h, oc, c]
    by_row = jnp.where(mr[None, :, :, None, None], col_max[:, None], low)  # [b, or, h, oc, c]
    row_arg = by_row.argmax(axis=2)  # [b, or, oc, c]
    col_at = jnp.take_along_axis(col_arg[:, None], row_arg[:, :, None], axis=2)[:, :, 0]
    b, _, _, c = jnp.meshgrid(*(jnp.arange(n) for n in out_backprop.shape), indexing="ij")
    grad = jnp.zeros_like(x)
    return grad.at[b, row_arg, col_at, c].add(out_backprop)


@register("FractionalAvgPoolGrad", static=("orig_input_tensor_shape",))
def fractional_avg_pool_grad(
    orig_input_tensor_shape,
    out_backprop,
    row_pooling_sequence,
    col_pooling_sequence,
    *,
    overlapping=False,
):
    _, height, width, _ = (int(d) for d in np.asarray(orig_input_tensor_shape))
    dtype = out_backprop.dtype
    mr = _masks(row_pooling_sequence, height, overlapping).astype(dtype)
    mc = _masks(col_pooling_sequence, width, overlapping).astype(dtype)
    count = mr.sum(1)[:, None] * mc.sum(1)[None, :]
    share = out_backprop / count[None, :, :, None]
    return jnp.einsum("ih,bijc,jw->bhwc", mr, share, mc).astype(dtype)
