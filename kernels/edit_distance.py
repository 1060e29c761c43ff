"""The EditDistance kernel: Levenshtein distances between sequences of two SparseTensors."""

from __future__ import annotations

import numpy as np

from kernels.errors import InvalidArgumentError
from kernels.registry import HOST, Spec, register


def _sequences(indices, values, shape) -> dict:
    out: dict = {}
    for index, value in zip(np.asarray(indices).tolist(), np.asarray(values).tolist()):
        out.setdefault(tuple(index[:-1]), []).append((index[-1], value))
    return {k: [v for _, v in sorted(items)] for k, items in out.items()}


def levenshtein(a: list, b: list) -> int:
    """The number of insertions, deletions and substitutions that turn `a` into `b`."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[len(b)]


def _edit_distance_shape(specs, attrs, static_values):
    rank = specs[2].shape[0] if specs[2].shape else None
    return [Spec(None if rank is None else (None,) * (rank - 1), np.dtype(np.float32))]


@register("EditDistance", kind=HOST, shape=_edit_distance_shape)
def edit_distance(
    hypothesis_indices,
    hypothesis_values,
    hypothesis_shape,
    truth_indices,
    truth_values,
    truth_shape,
    *,
    normalize=True,
    T=None,
):
    hyp_shape, truth_shape = np.asarray(hypothesis_shape), np.asarray(truth_shape)
    if hyp_shape.size != truth_shape.size:
        raise InvalidArgumentError(
            None,
            None,
            f"hypothesis and truth must have the same rank, got "
            f"{hyp_shape.size} and {truth_shape.size}",
        )
    out_shape = tuple(int(d) for d in np.maximum(hyp_shape, truth_shape)[:-1])
    hyps = _sequences(hypothesis_indices, hypothesis_values, hyp_shape)
    truths = _sequences(truth_indices, truth_values, truth_shape)
    out = np.zeros(out_shape, np.float32)
    for index in set(hyps) | set(truths):
        hyp, truth = hyps.get(index, []), truths.get(index, [])
        distance = np.float32(levenshtein(hyp, truth))
        if normalize:
            distance = np.float32(np.inf) if not truth else distance / np.float32(len(truth))
        out[index] = distance
    return out
