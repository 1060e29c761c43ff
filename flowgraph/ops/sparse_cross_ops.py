"""`sparse_cross` / `sparse_cross_hashed`: per-row crosses of sparse and dense features."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.conversion import convert_to_tensor_or_sparse_tensor
from flowgraph.framework.ops import apply_op
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import math_ops
from flowgraph.ops.gradients import no_gradient

no_gradient("SparseCross")  # TF: NotDifferentiable

_DEFAULT_HASH_KEY = 0xDECAFCAFFE  # TF's sparse_ops._DEFAULT_HASH_KEY


def _cross(inputs, hashed_output: bool, num_buckets: int, hash_key, name) -> SparseTensor:
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("Inputs must be a list")
    inputs = [convert_to_tensor_or_sparse_tensor(i) for i in inputs]
    if not all(i.dtype in (dtypes.string, dtypes.int64, dtypes.int32) for i in inputs):
        raise TypeError("All inputs must be SparseTensors or Tensors of string or integer type")
    inputs = [i if i.dtype == dtypes.string else _to_int64(i) for i in inputs]
    sparse = [i for i in inputs if isinstance(i, SparseTensor)]
    dense = [i for i in inputs if not isinstance(i, SparseTensor)]
    internal = (
        dtypes.int64 if hashed_output or all(i.dtype == dtypes.int64 for i in inputs) else None
    )
    out = apply_op(
        "SparseCross",
        [s.indices for s in sparse]
        + [s.values for s in sparse]
        + [s.dense_shape for s in sparse]
        + dense,
        name=name,
        N=len(sparse),
        hashed_output=hashed_output,
        num_buckets=num_buckets,
        hash_key=_DEFAULT_HASH_KEY if hash_key is None else int(hash_key),
        sparse_types=[_np(s.dtype) for s in sparse],
        dense_types=[_np(d.dtype) for d in dense],
        out_type=_np(dtypes.int64 if hashed_output else dtypes.string),
        internal_type=_np(internal or dtypes.string),
    )
    return SparseTensor(*out)


def _np(dtype):
    return dtype.base_dtype.numpy_dtype


def _to_int64(t):
    if isinstance(t, SparseTensor):
        return SparseTensor(t.indices, math_ops.cast(t.values, dtypes.int64), t.dense_shape)
    return math_ops.cast(t, dtypes.int64)


def sparse_cross(inputs, name=None, separator=None) -> SparseTensor:
    """Generates sparse cross from a list of sparse and dense tensors.

    Each output row holds the crosses of that row's features, joined as strings
    ("f1_X_f2"): the cartesian product of the inputs' values in that row.

    Example:
      >>> tf.sparse.cross([sp_a, sp_b])   # row 0: [b"a0_X_b0", b"a0_X_b1", ...]
    """
    if separator not in (None, "_X_"):
        raise ValueError("separator other than '_X_' is not supported")
    return _cross(inputs, False, 0, 0, name)


def sparse_cross_hashed(inputs, num_buckets=0, hash_key=None, name=None) -> SparseTensor:
    """Generates hashed sparse cross from a list of sparse and dense tensors.

    The crosses are TF's FingerprintCat64 of the features' fingerprints (strings) or values
    (integers), starting from `hash_key`, modulo `num_buckets` (0: no modulo).
    """
    return _cross(inputs, True, int(num_buckets), hash_key, name)
