"""`tf.sparse.bincount`: counts of the values of a tensor (or of each row), as a
SparseTensor."""

from __future__ import annotations

from flowgraph.framework.ops import apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.framework.sparse_tensor import SparseTensor
from flowgraph.ops import array_ops
from flowgraph.ops.constant_op import constant, convert_to_tensor
from flowgraph.ops.gradients import no_gradient

for _op_type in ("DenseCountSparseOutput", "SparseCountSparseOutput"):
    no_gradient(_op_type)  # counts of integer values
del _op_type


def sparse_bincount(
    values, weights=None, axis=0, minlength=None, maxlength=None, binary_output=False, name=None
):
    """Counts how often each value occurs (per row with `axis=-1`), as a SparseTensor.

    Args:
      values: an int32/int64 `Tensor` or `SparseTensor` of rank 1 or 2.
      weights: optional weights of the same shape (summed instead of counting).
      axis: 0 (count over all values) or -1 (count each row of a rank-2 input).
      minlength: the least size of the count dimension.
      maxlength: values at or above it are not counted.
      binary_output: 1 for each value present rather than its count.
      name: a name scope.

    Returns:
      A SparseTensor `[depth]` (or `[rows, depth]`) of the counts of the values present,
      `depth = max(max value + 1, minlength)`.

    Example:
      >>> tf.sparse.bincount([1, 1, 3])   # indices [[1], [3]], values [2, 1], shape [4]
    """
    if axis is None:
        axis = 0
    if axis not in (0, -1):
        raise ValueError(
            f"Unsupported value for argument axis={axis}. Only 0 and -1 are currently supported."
        )
    attrs = dict(
        minlength=-1 if minlength is None else int(minlength),
        maxlength=-1 if maxlength is None else int(maxlength),
        binary_output=bool(binary_output),
    )
    with name_scope(name, "count", [values, weights]):
        sparse = isinstance(values, SparseTensor)
        if not sparse:
            values = convert_to_tensor(values, name="values")
        value_dtype = (values.values if sparse else values).dtype
        if weights is None:
            weights = constant([], dtype=value_dtype)
        else:
            weights = convert_to_tensor(weights, name="weights")
        if axis == 0:
            if sparse:
                values = values.values
                sparse = False
            else:
                values = array_ops.reshape(values, [-1])
            if weights.shape.num_elements() != 0:
                weights = array_ops.reshape(weights, [-1])
        if sparse:
            out = apply_op(
                "SparseCountSparseOutput",
                [values.indices, values.values, values.dense_shape, weights],
                output_type=weights.dtype.numpy_dtype,
                **attrs,
            )
        else:
            out = apply_op(
                "DenseCountSparseOutput",
                [values, weights],
                output_type=weights.dtype.numpy_dtype,
                **attrs,
            )
        return SparseTensor(*out)
