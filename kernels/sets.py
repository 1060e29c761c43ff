"""Set kernels (`tf.sets`): per-row set operations over the last dimension of dense or
sparse inputs, with sorted sparse results, and set sizes. Host kernels: result sizes
depend on the values."""

from __future__ import annotations

import numpy as np

from kernels.errors import InvalidArgumentError
from kernels.registry import HOST, Spec, register

_INT64 = np.dtype(np.int64)


def _dense_sets(x: np.ndarray) -> tuple[tuple, dict]:
    if x.ndim < 2:
        raise InvalidArgumentError(None, None, f"Invalid rank {x.ndim}, expected at least 2.")
    batch = x.shape[:-1]
    return batch, {i: set(x[i].tolist()) for i in np.ndindex(*batch)}


def _sparse_sets(indices, values, shape) -> tuple[tuple, dict]:
    shape = tuple(int(d) for d in np.asarray(shape))
    if len(shape) < 2:
        raise InvalidArgumentError(None, None, f"Invalid rank {len(shape)}, expected at least 2.")
    batch = shape[:-1]
    sets: dict = {i: set() for i in np.ndindex(*batch)}
    for index, value in zip(np.asarray(indices).tolist(), np.asarray(values).tolist()):
        sets[tuple(index[:-1])].add(value)
    return batch, sets


_OPERATIONS = {
    "a-b": lambda a, b: a - b,
    "b-a": lambda a, b: b - a,
    "intersection": lambda a, b: a & b,
    "union": lambda a, b: a | b,
}


def _combine(first, second, set_operation: str, dtype) -> tuple:
    if set_operation not in _OPERATIONS:
        raise InvalidArgumentError(None, None, f"Invalid set_operation {set_operation}.")
    (batch1, sets1), (batch2, sets2) = first, second
    if batch1 != batch2:
        raise InvalidArgumentError(
            None,
            None,
            f"Shapes {list(batch1)} and {list(batch2)} must match in all but the last dimension.",
        )
    rows = {i: sorted(_OPERATIONS[set_operation](sets1[i], sets2[i])) for i in sets1}
    width = max((len(r) for r in rows.values()), default=0)
    indices = [list(i) + [j] for i in np.ndindex(*batch1) for j in range(len(rows[i]))]
    values = [v for i in np.ndindex(*batch1) for v in rows[i]]
    return (
        np.asarray(indices, _INT64).reshape(-1, len(batch1) + 1),
        np.asarray(values, dtype),
        np.asarray(list(batch1) + [width], _INT64),
    )


def _result_shape(specs, attrs, static_values):
    dtype = np.dtype(attrs["T"])
    return [Spec((None, None), _INT64), Spec((None,), dtype), Spec((None,), _INT64)]


@register("DenseToDenseSetOperation", kind=HOST, shape=_result_shape)
def dense_to_dense_set_operation(set1, set2, *, set_operation, T, validate_indices=True):
    return _combine(_dense_sets(set1), _dense_sets(set2), set_operation, T)


@register("DenseToSparseSetOperation", kind=HOST, shape=_result_shape)
def dense_to_sparse_set_operation(
    set1, set2_indices, set2_values, set2_shape, *, set_operation, T, validate_indices=True
):
    second = _sparse_sets(set2_indices, set2_values, set2_shape)
    return _combine(_dense_sets(set1), second, set_operation, T)


@register("SparseToSparseSetOperation", kind=HOST, shape=_result_shape)
def sparse_to_sparse_set_operation(
    set1_indices,
    set1_values,
    set1_shape,
    set2_indices,
    set2_values,
    set2_shape,
    *,
    set_operation,
    T,
    validate_indices=True,
):
    first = _sparse_sets(set1_indices, set1_values, set1_shape)
    second = _sparse_sets(set2_indices, set2_values, set2_shape)
    return _combine(first, second, set_operation, T)


@register(
    "SetSize", kind=HOST, shape=lambda specs, attrs, static_values: [Spec(None, np.dtype(np.int32))]
)
def set_size(set_indices, set_values, set_shape, *, T, validate_indices=True):
    batch, sets = _sparse_sets(set_indices, set_values, set_shape)
    out = np.zeros(batch, np.int32)
    for i, members in sets.items():
        out[i] = len(members)
    return out
