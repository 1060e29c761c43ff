"""Sparse maximum and minimum: `tf.sparse.maximum`/`minimum` of two SparseTensors and
`tf.sparse.reduce_max` (dense or sparse result)."""

from __future__ import annotations

from flowgraph.framework.ops import apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops.gradients import no_gradient
from flowgraph.ops.sparse_ops import _axes, _parts, _sparse

for _op_type in (
    "SparseReduceMax",
    "SparseReduceMaxSparse",
    "SparseSparseMaximum",
    "SparseSparseMinimum",
):
    no_gradient(_op_type)  # TF: none registered, or NotImplementedError
del _op_type


def sparse_reduce_max(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    """The max of a SparseTensor's values over `axis` (all axes if None), as a dense Tensor.

    Only the values present are reduced (implicit zeros are not); a reduced group without
    any value is 0.

    Example:
      >>> sp = tf.SparseTensor([[0, 0], [0, 2], [2, 1]], [-3, -1, 5], [3, 3])
      >>> tf.sparse_reduce_max(sp, axis=1)   # [-1, 0, 5]
    """
    sp_input = _sparse(sp_input)
    axis, keep = _axes(sp_input, axis, reduction_axes, keepdims, keep_dims)
    return apply_op("SparseReduceMax", _parts(sp_input) + [axis], keep_dims=keep)


def sparse_reduce_max_sparse(
    sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None
):
    """`sparse_reduce_max` with a SparseTensor result: one value per group that has any
    (indices in row-major order)."""
    sp_input = _sparse(sp_input)
    axis, keep = _axes(sp_input, axis, reduction_axes, keepdims, keep_dims)
    out = apply_op("SparseReduceMaxSparse", _parts(sp_input) + [axis], keep_dims=keep)
    return SparseTensor(*out)


def _pairwise(op_type, default_name, sp_a, sp_b, name):
    with name_scope(name, default_name, [sp_a.indices, sp_a.values, sp_b.indices, sp_b.values]):
        sp_a, sp_b = _sparse(sp_a), _sparse(sp_b)
        indices, values = apply_op(op_type, _parts(sp_a) + _parts(sp_b))
        return SparseTensor(indices, values, sp_a.dense_shape)


def sparse_maximum(sp_a, sp_b, name=None):
    """The element-wise max of two SparseTensors of the same shape (absent entries are
    zeros); the result has the union of their indices.

    Example:
      >>> a = tf.SparseTensor([[0, 0], [1, 1]], [1.0, -2.0], [2, 2])
      >>> b = tf.SparseTensor([[0, 0], [0, 1]], [3.0, -4.0], [2, 2])
      >>> tf.sparse.maximum(a, b)   # indices [[0, 0], [0, 1], [1, 1]], values [3, 0, 0]
    """
    return _pairwise("SparseSparseMaximum", "SparseSparseMaximum", sp_a, sp_b, name)


def sparse_minimum(sp_a, sp_b, name=None):
    """The element-wise min of two SparseTensors of the same shape (absent entries are
    zeros); the result has the union of their indices."""
    return _pairwise("SparseSparseMinimum", "SparseSparseMinimum", sp_a, sp_b, name)
