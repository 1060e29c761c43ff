"""Sparse segment reductions: rows of `data` picked by `indices`, reduced per segment id
(SparseSegmentSum/Mean/SqrtN, with or without a given number of segments)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kernels.math import _sorted_segment_rows
from kernels.registry import Spec, register


def _sum(rows, ids, n):
    return jax.ops.segment_sum(rows, ids, n)


def _counts(rows, ids, n):
    count = jax.ops.segment_sum(jnp.ones(ids.shape, rows.dtype), ids, n)
    return jnp.maximum(count, 1).reshape((n,) + (1,) * (rows.ndim - 1))


def _mean(rows, ids, n):
    return _sum(rows, ids, n) / _counts(rows, ids, n)


def _sqrt_n(rows, ids, n):
    return _sum(rows, ids, n) / jnp.sqrt(_counts(rows, ids, n))


def _shape(rows_from):
    def shape(specs, attrs, static_values):
        data = specs[0].shape
        if data is None:
            return [Spec(None, specs[0].dtype)]
        if not data:
            raise ValueError("Shape must be at least rank 1 but is rank 0")
        return [Spec((rows_from(specs, static_values),) + data[1:], specs[0].dtype)]

    return shape


def _sorted_rows(specs, static_values):
    # TF's SparseSegmentReductionShapeFn leaves the row count unknown, even for constant
    # ids (the kernel knows it: the ids are a static input).
    return None


def _given_rows(specs, static_values):
    n = static_values[3]
    return None if n is None else int(np.asarray(n))


def _sorted(reduce):
    # The ids are static: the last one (+ 1) is the output's row count.
    def kernel(data, indices, segment_ids, *, sparse_gradient=False):
        ids = np.asarray(segment_ids)
        n = _sorted_segment_rows(ids, indices.shape[0])
        return reduce(jnp.asarray(data)[indices], jnp.asarray(ids), n)

    return kernel


def _with_num_segments(reduce):
    def kernel(data, indices, segment_ids, num_segments, *, sparse_gradient=False):
        n = int(np.asarray(num_segments))
        return reduce(jnp.asarray(data)[indices], segment_ids, n)

    return kernel


for _name, _reduce in {"Sum": _sum, "Mean": _mean, "SqrtN": _sqrt_n}.items():
    register(f"SparseSegment{_name}", static=("segment_ids",), shape=_shape(_sorted_rows))(
        _sorted(_reduce)
    )
    register(
        f"SparseSegment{_name}WithNumSegments",
        static=("num_segments",),
        shape=_shape(_given_rows),
    )(_with_num_segments(_reduce))
del _name, _reduce
