"""Sparse ops: `sparse_placeholder`, `sparse_tensor_to_dense`, `sparse_to_dense`, and
`sparse_tensor_dense_matmul`."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowgraph.ops import array_ops
from flowgraph.ops.constant_op import convert_to_tensor


def _sparse(sp_input, what: str = "sp_input") -> SparseTensor:
    if isinstance(sp_input, SparseTensorValue):
        return SparseTensor.from_value(sp_input)
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"Input must be a SparseTensor, got {type(sp_input).__name__} ({what})")
    return sp_input


def sparse_placeholder(dtype, shape=None, name=None) -> SparseTensor:
    """A SparseTensor to feed with a `SparseTensorValue` or (indices, values, shape) tuple.

    Example:
      >>> sp = tf.sparse_placeholder(tf.float32)
      >>> sess.run(tf.sparse_tensor_to_dense(sp), {sp: ([[0, 1]], [2.0], [2, 2])})
    """
    rank = None if shape is None else len(shape)
    known = shape is not None and all(d is not None and d >= 0 for d in shape)
    base = name or "Placeholder"
    if known:
        dense_shape = convert_to_tensor(np.asarray(shape, np.int64), name=base + "/shape")
    else:
        dense_shape = array_ops.placeholder(dtypes.int64, [rank], name=base + "_shape")
    return SparseTensor(
        array_ops.placeholder(dtypes.int64, [None, rank], name=base + "_indices"),
        array_ops.placeholder(dtype, [None], name=base + "_values"),
        dense_shape,
    )


def sparse_to_dense(
    sparse_indices, output_shape, sparse_values, default_value=0, validate_indices=True, name=None
) -> Tensor:
    """A dense tensor of `output_shape` with `sparse_values` at `sparse_indices`."""
    values = convert_to_tensor(sparse_values)
    return apply_op(
        "SparseToDense",
        [
            convert_to_tensor(sparse_indices),
            convert_to_tensor(output_shape),
            values,
            convert_to_tensor(default_value, dtype=values.dtype.base_dtype),
        ],
        name=name,
        validate_indices=bool(validate_indices),
    )


def sparse_tensor_to_dense(sp_input, default_value=0, validate_indices=True, name=None):
    """The dense tensor of `sp_input`, with `default_value` where no value is given.

    Example:
      >>> tf.sparse_tensor_to_dense(tf.SparseTensor([[0, 1]], [5], [2, 2]))  # [[0 5] [0 0]]
    """
    sp_input = _sparse(sp_input)
    return sparse_to_dense(
        sp_input.indices,
        sp_input.dense_shape,
        sp_input.values,
        default_value,
        validate_indices=validate_indices,
        name=name,
    )


def sparse_tensor_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None) -> Tensor:
    """`sp_a @ b` for a rank-2 SparseTensor `sp_a` and a dense matrix `b`."""
    sp_a = _sparse(sp_a, "sp_a")
    with name_scope(name, "SparseTensorDenseMatMul", [sp_a.indices, sp_a.values, b]) as scope:
        b = convert_to_tensor(b, name="b", dtype=sp_a.dtype.base_dtype)
        return apply_op(
            "SparseTensorDenseMatMul",
            [sp_a.indices, sp_a.values, sp_a.dense_shape, b],
            name=scope,
            adjoint_a=bool(adjoint_a),
            adjoint_b=bool(adjoint_b),
        )
