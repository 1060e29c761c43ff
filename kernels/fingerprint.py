"""The Fingerprint kernel: TF's farmhash Fingerprint64 of each row, as 8 uint8 bytes."""

from __future__ import annotations

import numpy as np

from kernels.errors import InvalidArgumentError
from kernels.registry import HOST, Spec, register
from kernels.string import fingerprint64


def _bytes(value: int) -> bytes:
    return np.array([value], np.uint64).astype("<u8").tobytes()


def _row_fingerprint(row: np.ndarray) -> bytes:
    if row.dtype == object:  # strings: the fingerprint of the elements' fingerprints
        parts = [fingerprint64(bytes(v)) for v in row.reshape(-1)]
        if len(parts) == 1:
            return _bytes(parts[0])
        return _bytes(fingerprint64(b"".join(_bytes(p) for p in parts)))
    return _bytes(fingerprint64(np.ascontiguousarray(row, row.dtype.newbyteorder("<")).tobytes()))


def _fingerprint_shape(specs, attrs, static_values):
    rows = specs[0].shape[0] if specs[0].shape else None
    return [Spec((rows, 8), np.dtype(np.uint8))]


@register("Fingerprint", kind=HOST, shape=_fingerprint_shape)
def fingerprint(data, method, *, T=None):
    data = np.asarray(data)
    name = np.asarray(method, dtype=object).item()
    if (name.decode() if isinstance(name, bytes) else name) != "farmhash64":
        raise InvalidArgumentError(None, None, f"Unsupported fingerprint method: {name!r}")
    if data.ndim < 1:
        raise InvalidArgumentError(None, None, "`data` should have at least one dimension")
    out = np.empty((data.shape[0], 8), np.uint8)
    for i in range(data.shape[0]):
        out[i] = np.frombuffer(_row_fingerprint(np.asarray(data[i], data.dtype)), np.uint8)
    return out
