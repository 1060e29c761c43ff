"""Strings through data-movement kernels: the kernel moves integer codes standing for them.

A kernel that only moves, copies or drops elements (SparseToDense, Pad, GatherNd, …) does
the same to strings as to numbers, but jax cannot hold strings: a node that touches
strings runs on the host with numpy object arrays. `moves_strings` lets such a kernel stay
one jax function: its string inputs become uint32 codes into one sorted table (code 0 is
b"", so zero padding is TF's empty string), and its uint32 outputs become strings again.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

_CODE = np.dtype(np.uint32)


def _is_strings(x) -> bool:
    # Object arrays of bytes, or fixed-width bytes arrays (`|S<n>`, as tf.data yields them).
    return isinstance(x, np.ndarray) and (x.dtype == object or x.dtype.kind == "S")


def _encode(args) -> tuple[np.ndarray, list]:
    strings = [np.asarray(a, dtype=object).reshape(-1) for a in args if _is_strings(a)]
    table, inverse = np.unique(
        np.concatenate([np.array([b""], object)] + strings), return_inverse=True
    )
    codes, start, coded = inverse.astype(_CODE), 1, []
    for a in args:
        if _is_strings(a):
            coded.append(codes[start : start + a.size].reshape(a.shape))
            start += a.size
        else:
            coded.append(a)
    return table, coded


def _decode(out, table: np.ndarray):
    if isinstance(out, tuple):
        return tuple(_decode(o, table) for o in out)
    if getattr(out, "dtype", None) == _CODE:
        return table[np.asarray(out)]
    return out


def moves_strings(kernel: Callable) -> Callable:
    """`kernel`, also for string inputs, which it must only move (never compute on)."""

    @functools.wraps(kernel)
    def run(*args, **attrs):
        if not any(_is_strings(a) for a in args):
            return kernel(*args, **attrs)
        table, coded = _encode(args)
        return _decode(kernel(*coded, **attrs), table)

    return run
