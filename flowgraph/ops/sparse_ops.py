"""Sparse ops: `sparse_placeholder`, `sparse_tensor_to_dense`, `sparse_to_dense`,
`sparse_tensor_dense_matmul`, and the SparseTensor algebra (`sparse_reduce_sum`,
`sparse_add`, `sparse_reorder`, `sparse_reshape`, `sparse_concat`, `sparse_slice`, ...)."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.ops import Tensor, apply_op, constant_value
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import RegisterGradient, no_gradient


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

    def named(part):  # TF's names: `name/values`, `name/indices`, `name/shape`
        return None if name is None else f"{name}/{part}"

    if known:
        dense_shape = convert_to_tensor(np.asarray(shape, np.int64), name=named("shape"))
    else:
        dense_shape = array_ops.placeholder(dtypes.int64, [rank], name=named("shape"))
    values = array_ops.placeholder(dtype, [None], name=named("values"))
    indices = array_ops.placeholder(dtypes.int64, [None, rank], name=named("indices"))
    return SparseTensor(indices, values, dense_shape)


def sparse_to_dense(
    sparse_indices, output_shape, sparse_values, default_value=0, validate_indices=True, name=None
) -> Tensor:
    """A dense tensor of `output_shape` with `sparse_values` at `sparse_indices`."""
    values = convert_to_tensor(sparse_values)
    indices = convert_to_tensor(sparse_indices)
    if not isinstance(output_shape, Tensor):  # converted to the indices' type, as TF does
        output_shape = convert_to_tensor(output_shape, dtype=indices.dtype.base_dtype)
    out = apply_op(
        "SparseToDense",
        [
            indices,
            output_shape,
            values,
            convert_to_tensor(default_value, dtype=values.dtype.base_dtype),
        ],
        name=name,
        validate_indices=bool(validate_indices),
    )
    if out.shape.ndims is None or None in out.shape.as_list():  # TF's MakeShapeFromShapeTensor
        from flowgraph.framework.tensor_util import constant_value_as_shape

        known = constant_value_as_shape(output_shape)
        if known.ndims is not None and out.shape.is_compatible_with(known):
            out.set_shape(known)
    return out


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


def _parts(sp: SparseTensor) -> list[Tensor]:
    return [sp.indices, sp.values, sp.dense_shape]


def _axes(sp_input, axis, reduction_axes, keepdims, keep_dims):
    if axis is not None and reduction_axes is not None:
        raise ValueError("Cannot specify both 'axis' and 'reduction_axes'")
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'")
    axis = reduction_axes if axis is None else axis
    if axis is None:
        rank = array_ops.size(sp_input.dense_shape)
        axis = array_ops.range(0, rank)
        static_rank = sp_input.dense_shape.shape[0]
        if getattr(static_rank, "value", static_rank) is not None:
            axis = np.arange(getattr(static_rank, "value", static_rank), dtype=np.int32)
    axis = convert_to_tensor(axis, dtype=dtypes.int32, name="reduction_axes")
    return axis, bool(keepdims or keep_dims)


def sparse_reduce_sum(
    sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None
) -> Tensor:
    """The sum of a SparseTensor's values over `axis` (all axes if None), as a dense Tensor.

    Example:
      >>> sp = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], [1, 1, 1], [2, 3])
      >>> tf.sparse_reduce_sum(sp, axis=1)  # [2 1]
    """
    sp_input = _sparse(sp_input)
    axis, keep = _axes(sp_input, axis, reduction_axes, keepdims, keep_dims)
    return apply_op("SparseReduceSum", _parts(sp_input) + [axis], keep_dims=keep)


def sparse_reduce_sum_sparse(
    sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None
) -> SparseTensor:
    """`sparse_reduce_sum` with a SparseTensor result (indices in row-major order)."""
    sp_input = _sparse(sp_input)
    axis, keep = _axes(sp_input, axis, reduction_axes, keepdims, keep_dims)
    out = apply_op("SparseReduceSumSparse", _parts(sp_input) + [axis], keep_dims=keep)
    return SparseTensor(*out)


no_gradient("SparseReduceSumSparse")


def sparse_add(a, b, thresh=0, threshold=None) -> SparseTensor | Tensor:
    """`a + b` where at least one is a SparseTensor: sparse + sparse is a SparseTensor (sums
    smaller in magnitude than `thresh` dropped), sparse + dense a dense Tensor.

    Example:
      >>> tf.sparse_add(tf.SparseTensor([[0, 0]], [1.0], [2, 2]), tf.zeros([2, 2]))
    """
    if threshold is not None:
        thresh = threshold
    sparse_classes = (SparseTensor, SparseTensorValue)
    if not any(isinstance(inp, sparse_classes) for inp in (a, b)):
        raise TypeError("At least one input should be SparseTensor; do you mean to use tf.add()?")
    if all(isinstance(inp, sparse_classes) for inp in (a, b)):
        a, b = _sparse(a, "a"), _sparse(b, "b")
        thresh = convert_to_tensor(thresh, dtype=a.values.dtype.real_dtype, name="thresh")
        out = apply_op("SparseAdd", _parts(a) + _parts(b) + [thresh])
        return SparseTensor(*out)
    if isinstance(b, sparse_classes):
        a, b = b, a
    a = _sparse(a, "a")
    b = convert_to_tensor(b, dtype=a.dtype.base_dtype, name="b")
    return apply_op("SparseTensorDenseAdd", _parts(a) + [b])


@RegisterGradient("SparseAdd")
def _sparse_add_grad(op, *grads):
    val_grad = grads[1]
    a_grad, b_grad = apply_op(
        "SparseAddGrad", [val_grad, op.inputs[0], op.inputs[3], op.outputs[0]]
    )
    return [None, a_grad, None, None, b_grad, None, None]


no_gradient("SparseAddGrad")


@RegisterGradient("SparseTensorDenseAdd")
def _sparse_dense_add_grad(op, grad):
    return [None, array_ops.gather_nd(grad, op.inputs[0]), None, grad]


def sparse_reorder(sp_input, name=None) -> SparseTensor:
    """The same SparseTensor with its entries in canonical row-major order."""
    sp_input = _sparse(sp_input)
    indices, values = apply_op("SparseReorder", _parts(sp_input), name=name)
    return SparseTensor(indices, values, sp_input.dense_shape)


def sparse_reshape(sp_input, shape, name=None) -> SparseTensor:
    """The SparseTensor with dense shape `shape` (one entry may be -1), same values in the
    same order.

    Example:
      >>> tf.sparse_reshape(tf.SparseTensor([[0, 3]], [1.0], [2, 4]), [-1])  # index [3]
    """
    sp_input = _sparse(sp_input)
    shape = convert_to_tensor(shape, dtype=dtypes.int64, name="shape")
    static, known = constant_value(shape), constant_value(sp_input.dense_shape)
    if static is not None and known is not None:
        static, known = np.asarray(static), np.asarray(known)
        size, rest = int(np.prod(known)), int(np.prod(static[static != -1]))
        ok = (size % rest == 0) if (static == -1).sum() == 1 and rest else size == rest
        if (static == -1).sum() > 1 or not ok:
            raise ValueError(
                f"Cannot reshape a tensor with {size} elements to shape {static.tolist()} "
                f"({rest} elements)"
            )
    indices, new_shape = apply_op(
        "SparseReshape", [sp_input.indices, sp_input.dense_shape, shape], name=name
    )
    return SparseTensor(indices, sp_input.values, new_shape)


no_gradient("SparseReshape")


def sparse_retain(sp_input, to_retain) -> SparseTensor:
    """The entries of `sp_input` where the bool vector `to_retain` is true (same dense shape)."""
    sp_input = _sparse(sp_input)
    to_retain = convert_to_tensor(to_retain, dtype=dtypes.bool)
    to_retain.shape.with_rank(1)
    n = sp_input.values.shape[0]
    n = getattr(n, "value", n)
    if n is not None:
        to_retain.shape[0].merge_with(n)
    where_true = array_ops.reshape(array_ops.where(to_retain), [-1])
    return SparseTensor(
        array_ops.gather(sp_input.indices, where_true),
        array_ops.gather(sp_input.values, where_true),
        array_ops.identity(sp_input.dense_shape),
    )


def sparse_transpose(sp_input, perm=None, name=None) -> SparseTensor:
    """The SparseTensor with its dimensions permuted by `perm` (default: reversed), entries
    reordered canonically."""
    sp_input = _sparse(sp_input)
    with name_scope(name, "SparseTranspose", [sp_input.indices]):
        if perm is None:
            rank = array_ops.size(sp_input.dense_shape)
            perm = (rank - 1) - array_ops.range(0, rank, 1)
        perm = convert_to_tensor(perm, dtype=dtypes.int32, name="perm")
        indices = array_ops.gather(sp_input.indices, perm, axis=1)
        shape = array_ops.gather(sp_input.dense_shape, perm)
        return sparse_reorder(SparseTensor(indices, sp_input.values, shape))


def sparse_concat(
    axis, sp_inputs, name=None, expand_nonconcat_dim=False, concat_dim=None
) -> SparseTensor:
    """SparseTensors joined along `axis` (row-major ordered output).

    With `expand_nonconcat_dim`, the other dimensions grow to the largest among the inputs.
    """
    if concat_dim is not None:
        if axis is not None and axis != concat_dim:
            raise ValueError("Cannot specify both 'axis' and 'concat_dim'")
        axis = concat_dim
    if not isinstance(sp_inputs, (list, tuple)):
        raise TypeError("Inputs must be a list")
    sp_inputs = [_sparse(s, "sp_inputs") for s in sp_inputs]
    if not sp_inputs:
        raise ValueError("sp_inputs must not be empty")
    shapes = [s.dense_shape for s in sp_inputs]
    if expand_nonconcat_dim:
        max_shape = math_ops.reduce_max(array_ops.stack(shapes), axis=0)
        shapes = [
            array_ops.concat([max_shape[:axis], s[axis : axis + 1], max_shape[axis + 1 :]], 0)
            if axis != -1
            else array_ops.concat([max_shape[:-1], s[-1:]], 0)
            for s in shapes
        ]
    inputs = [s.indices for s in sp_inputs] + [s.values for s in sp_inputs] + shapes
    out = apply_op("SparseConcat", inputs, name=name, concat_dim=int(axis), N=len(sp_inputs))
    return SparseTensor(*out)


no_gradient("SparseConcat")


def sparse_slice(sp_input, start, size, name=None) -> SparseTensor:
    """The entries of `sp_input` inside the box [start, start + size), shifted to start at 0
    (the box is clipped to the dense shape)."""
    sp_input = _sparse(sp_input)
    start = convert_to_tensor(start, dtype=dtypes.int64, name="start")
    size = convert_to_tensor(size, dtype=dtypes.int64, name="size")
    out = apply_op("SparseSlice", _parts(sp_input) + [start, size], name=name)
    return SparseTensor(*out)


no_gradient("SparseSlice")


def sparse_split(
    keyword_required=None, sp_input=None, num_split=None, axis=None, name=None, split_dim=None
) -> list[SparseTensor]:
    """`num_split` SparseTensors cut from `sp_input` along `axis` (the first
    `shape[axis] % num_split` pieces one larger)."""
    if keyword_required is not None:
        raise ValueError("Keyword arguments are required for this function.")
    if sp_input is None:
        raise ValueError("sp_input is required")
    if num_split is None:
        raise ValueError("num_split is required")
    if axis is None:
        axis = split_dim
    if axis is None:
        raise ValueError("axis is required")
    sp_input = _sparse(sp_input)
    axis = convert_to_tensor(axis, dtype=dtypes.int64, name="split_dim")
    out = apply_op("SparseSplit", [axis] + _parts(sp_input), name=name, num_split=int(num_split))
    out = out if isinstance(out, (list, tuple)) else [out]
    k = int(num_split)
    return [SparseTensor(out[i], out[k + i], out[2 * k + i]) for i in range(k)]


no_gradient("SparseSplit")


def sparse_fill_empty_rows(sp_input, default_value, name=None):
    """(sp, empty_row_indicator): `sp_input` with `default_value` at [row, 0, ...] of each
    row that has no entries, and a bool vector of those rows."""
    sp_input = _sparse(sp_input)
    default_value = convert_to_tensor(
        default_value, dtype=sp_input.values.dtype.base_dtype, name="default_value"
    )
    indices, values, empty, _ = apply_op(
        "SparseFillEmptyRows", _parts(sp_input) + [default_value], name=name
    )
    return SparseTensor(indices, values, sp_input.dense_shape), empty


@RegisterGradient("SparseFillEmptyRows")
def _sparse_fill_empty_rows_grad(op, *grads):
    grad_values, reverse_index_map = grads[1], op.outputs[3]
    d_values = array_ops.gather(grad_values, reverse_index_map)
    d_default = math_ops.reduce_sum(grad_values) - math_ops.reduce_sum(d_values)
    return [None, d_values, None, d_default]


def sparse_softmax(sp_input, name=None) -> SparseTensor:
    """Softmax over the last dimension of each row of entries (`sp_input` in canonical
    order, rank >= 2); absent entries do not take part."""
    sp_input = _sparse(sp_input)
    sp_input.indices.shape.with_rank(2)
    rank = sp_input.indices.shape[1]
    if getattr(rank, "value", rank) is not None and getattr(rank, "value", rank) < 2:
        raise ValueError(f"sp_input must be at least rank 2, got rank {rank}")
    values = apply_op("SparseSoftmax", _parts(sp_input), name=name)
    return SparseTensor(sp_input.indices, values, sp_input.dense_shape)


def sparse_to_indicator(sp_input, vocab_size, name=None) -> Tensor:
    """A dense bool tensor whose last dimension, of size `vocab_size`, is true at the ids in
    each row of the integer SparseTensor `sp_input`."""
    sp_input = _sparse(sp_input)
    with name_scope(name, "SparseToIndicator", [sp_input.indices]) as scope:
        ids = math_ops.cast(array_ops.expand_dims(sp_input.values, 1), dtypes.int64)
        indices = array_ops.concat([sp_input.indices[:, :-1], ids], 1)
        shape = array_ops.concat(
            [sp_input.dense_shape[:-1], convert_to_tensor([vocab_size], dtype=dtypes.int64)], 0
        )
        ones = array_ops.ones_like(sp_input.values, dtype=dtypes.bool)
        return sparse_to_dense(indices, shape, ones, False, validate_indices=False, name=scope)


def sparse_mask(a, mask_indices, name=None) -> IndexedSlices:
    """The rows of IndexedSlices `a` whose indices are not in `mask_indices`."""
    with name_scope(name, "sparse_mask", [a.indices, a.values, mask_indices]):
        mask_indices = convert_to_tensor(mask_indices, dtype=a.indices.dtype)
        out_indices, to_gather = array_ops.setdiff1d(a.indices, mask_indices)
        return IndexedSlices(array_ops.gather(a.values, to_gather), out_indices, a.dense_shape)
