"""The SparseCross kernel: the per-row cartesian product of sparse and dense features."""

from __future__ import annotations

import itertools

import numpy as np

from kernels.registry import HOST, Spec, register
from kernels.string import cached_fingerprint64

_MUL = np.uint64(0xC6A4A7935BD1E995)  # TF's FingerprintCat64 multiplier (murmur's)
_INT64_MAX = np.uint64((1 << 63) - 1)


def _shift_mix(v: np.ndarray) -> np.ndarray:
    return v ^ (v >> np.uint64(47))


def fingerprint_cat64(fp1: np.ndarray, fp2: np.ndarray) -> np.ndarray:
    """TF's `FingerprintCat64` of uint64 arrays (arithmetic mod 2**64): order-dependent."""
    with np.errstate(over="ignore"):
        result = fp1 ^ _MUL
        result ^= _shift_mix(fp2 * _MUL) * _MUL
        result = result * _MUL
        result = _shift_mix(result) * _MUL
        return _shift_mix(result)


class _Column:
    """One input's values and, per batch row, the positions of that row's values."""

    def __init__(self, values: np.ndarray, rows: list[list[int]]):
        self.values, self.rows = values, rows

    def hashes(self) -> np.ndarray:
        """TF's per-feature hash: Fingerprint64 of a string, an integer's own bits."""
        if self.values.dtype == object:
            fps = [cached_fingerprint64(_as_bytes(v)) for v in self.values]
            return np.asarray(fps, np.uint64).reshape(-1)
        return self.values.astype(np.int64).view(np.uint64)

    def texts(self) -> list[bytes]:
        return [_as_bytes(v) if self.values.dtype == object else b"%d" % v for v in self.values]


def _as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _sparse_column(indices, values, shape) -> _Column:
    rows: list[list[int]] = [[] for _ in range(int(np.asarray(shape)[0]))]
    first = np.asarray(indices, np.int64).reshape(-1, len(np.asarray(shape)))[:, 0]
    for position, row in enumerate(first.tolist()):
        rows[row].append(position)
    return _Column(np.asarray(values).reshape(-1), rows)


def _dense_column(dense) -> _Column:
    dense = np.asarray(dense)
    width = int(np.prod(dense.shape[1:], dtype=np.int64))
    rows = [list(range(r * width, (r + 1) * width)) for r in range(len(dense))]
    return _Column(dense.reshape(-1), rows)


def _columns(inputs, n: int) -> list[_Column]:
    """The inputs as columns: the sparse ones first, then the dense ones (TF's order)."""
    sparse = [_sparse_column(inputs[i], inputs[n + i], inputs[2 * n + i]) for i in range(n)]
    return sparse + [_dense_column(d) for d in inputs[3 * n :]]


def _products(columns: list[_Column], batch: int):
    """(indices [n, 2], positions [n, columns]): every cross of each row, the last column
    varying fastest, and the value position it takes from each column."""
    indices, positions = [], []
    for b in range(batch):
        for j, cross in enumerate(itertools.product(*(c.rows[b] for c in columns))):
            indices.append((b, j))
            positions.append(cross)
    shape = (len(positions), len(columns))
    return np.asarray(indices, np.int64).reshape(-1, 2), np.asarray(positions, np.int64).reshape(
        shape
    )


def _hashed(columns, positions, num_buckets: int, hash_key: int) -> np.ndarray:
    out = np.full(len(positions), np.int64(hash_key).view(np.uint64), np.uint64)
    for j, column in enumerate(columns):
        out = fingerprint_cat64(out, column.hashes()[positions[:, j]])
    modulus = np.uint64(num_buckets) if num_buckets > 0 else _INT64_MAX
    return (out % modulus).astype(np.int64)


def _joined(columns, positions) -> np.ndarray:
    texts = [c.texts() for c in columns]
    crosses = [b"_X_".join(t[p] for t, p in zip(texts, row)) for row in positions.tolist()]
    return np.asarray(crosses, dtype=object)


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
    batch = len(columns[0].rows) if columns else 0
    indices, positions = _products(columns, batch)
    if hashed_output:
        values = _hashed(columns, positions, num_buckets, hash_key)
    else:
        values = _joined(columns, positions)
    width = int(indices[:, 1].max()) + 1 if len(indices) else 0
    return indices, values, np.asarray([batch, width], np.int64)
