"""The SparseCross kernel: the per-row cartesian product of sparse and dense features."""

from __future__ import annotations

import itertools

import numpy as np

from kernels.registry import HOST, Spec, register
from kernels.string import fingerprint64

_M64 = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995  # TF's FingerprintCat64 multiplier (murmur's)
_INT64_MAX = (1 << 63) - 1


def _shift_mix(v: int) -> int:
    return v ^ (v >> 47)


def fingerprint_cat64(fp1: int, fp2: int) -> int:
    """TF's `FingerprintCat64`: combines two 64-bit fingerprints, order-dependent."""
    result = fp1 ^ _MUL
    result ^= (_shift_mix((fp2 * _MUL) & _M64) * _MUL) & _M64
    result = (result * _MUL) & _M64
    result = (_shift_mix(result) * _MUL) & _M64
    return _shift_mix(result)


def _sparse_rows(indices, values, shape) -> list[list]:
    rows: list[list] = [[] for _ in range(int(np.asarray(shape)[0]))]
    for index, value in zip(np.asarray(indices).reshape(-1, len(shape))[:, 0], values):
        rows[int(index)].append(value)
    return rows


def _columns(inputs, n: int) -> list[list[list]]:
    """Each input as its values per batch row: sparse inputs first, then dense (TF's order)."""
    sparse = [
        _sparse_rows(inputs[i], np.asarray(inputs[n + i]).reshape(-1), inputs[2 * n + i])
        for i in range(n)
    ]
    dense = [[list(row) for row in np.asarray(d).reshape(len(d), -1)] for d in inputs[3 * n :]]
    return sparse + dense


def _hashed(value) -> int:
    if isinstance(value, bytes):
        return fingerprint64(value)
    return int(value) & _M64


def _as_text(value) -> bytes:
    return value if isinstance(value, bytes) else str(int(value)).encode()


def _hash_cross(features, num_buckets: int, hash_key: int) -> int:
    out = hash_key & _M64
    for value in features:
        out = fingerprint_cat64(out, _hashed(value))
    return out % num_buckets if num_buckets > 0 else out % _INT64_MAX


def _cross_shape(specs, attrs, static_values):
    out = np.dtype(attrs["out_type"])
    return [Spec((None, 2), np.dtype(np.int64)), Spec((None,), out), Spec((2,), np.dtype(np.int64))]


@register("SparseCross", kind=HOST, shape=_cross_shape)
def sparse_cross(
    *inputs,
    N: int,
    hashed_output: bool,
    num_buckets: int,
    hash_key: int,
    sparse_types=(),
    dense_types=(),
    out_type=np.int64,
    internal_type=np.int64,
):
    columns = _columns(inputs, N)
    batch = len(columns[0]) if columns else 0
    indices, values = [], []
    for b in range(batch):
        for j, features in enumerate(itertools.product(*(c[b] for c in columns))):
            indices.append((b, j))
            if hashed_output:
                values.append(_hash_cross(features, num_buckets, hash_key))
            else:
                values.append(b"_X_".join(_as_text(v) for v in features))
    width = max((j + 1 for _, j in indices), default=0)
    dtype = np.int64 if hashed_output else object
    return (
        np.asarray(indices, np.int64).reshape(-1, 2),
        np.asarray(values, dtype=dtype),
        np.asarray([batch, width], np.int64),
    )
