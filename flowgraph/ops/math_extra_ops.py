"""More of `tf.math`: floor_div, monotonicity tests, approximate top-k, guarantee_const,
timestamp and sparse_matmul."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import apply_op
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops, math_ops
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.ops.gradients import no_gradient

no_gradient("Timestamp")  # no inputs
no_gradient("GuaranteeConst")  # TF registers no gradient: its input is a constant


def floor_div(x, y, name=None):
    """`x // y` element-wise, rounding toward negative infinity (TF's FloorDiv op).

    Example:
      >>> tf.floor_div([7, -7], 2)   # [3, -4]
    """
    return math_ops.floordiv(x, y, name=name or "FloorDiv")


def _monotonic(x, compare, default_name, name):
    with name_scope(name, default_name, [x]):
        x = convert_to_tensor(x, name="x")
        if not (x.dtype.is_integer or x.dtype.is_floating):
            raise TypeError(f"Expected x to be numeric, got {x.dtype.name}")
        flat = array_ops.reshape(x, [-1])
        diff = flat[1:] - flat[:-1]
        zero = array_ops.zeros([], dtype=diff.dtype)
        return math_ops.reduce_all(compare(diff, zero))


def is_non_decreasing(x, name=None):
    """Whether `x` is non-decreasing: `x[i] <= x[i + 1]` for its flattened elements (True
    for fewer than two elements)."""
    return _monotonic(x, math_ops.greater_equal, "is_non_decreasing", name)


def is_strictly_increasing(x, name=None):
    """Whether `x` is strictly increasing: `x[i] < x[i + 1]` for its flattened elements
    (True for fewer than two elements)."""
    return _monotonic(x, math_ops.greater, "is_strictly_increasing", name)


def _approx_top_k(
    operand,
    k,
    reduction_dimension,
    recall_target,
    reduction_input_size_override,
    aggregate_to_topk,
    is_max_k,
    name,
):
    operand = convert_to_tensor(operand, name="operand")
    return apply_op(
        "ApproxTopK",
        [operand],
        name=name,
        k=int(k),
        reduction_dimension=int(reduction_dimension),
        recall_target=float(recall_target),
        is_max_k=is_max_k,
        reduction_input_size_override=int(reduction_input_size_override),
        aggregate_to_topk=bool(aggregate_to_topk),
    )


def approx_max_k(
    operand,
    k,
    reduction_dimension=-1,
    recall_target=0.95,
    reduction_input_size_override=-1,
    aggregate_to_topk=True,
    name=None,
):
    """The (approximate) `k` largest values of `operand` along `reduction_dimension`, and
    their int32 indices: `(values, indices)`. XLA computes them exactly on CPU.

    Example:
      >>> tf.math.approx_max_k([[1.0, 5.0, 3.0]], 2)   # ([[5.0, 3.0]], [[1, 2]])
    """
    return _approx_top_k(
        operand,
        k,
        reduction_dimension,
        recall_target,
        reduction_input_size_override,
        aggregate_to_topk,
        True,
        name,
    )


def approx_min_k(
    operand,
    k,
    reduction_dimension=-1,
    recall_target=0.95,
    reduction_input_size_override=-1,
    aggregate_to_topk=True,
    name=None,
):
    """The (approximate) `k` smallest values of `operand` along `reduction_dimension`, and
    their int32 indices: `(values, indices)`."""
    return _approx_top_k(
        operand,
        k,
        reduction_dimension,
        recall_target,
        reduction_input_size_override,
        aggregate_to_topk,
        False,
        name,
    )


def guarantee_const(input, name=None):
    """Promises the runtime that `input` is constant for the graph's lifetime; returns it.

    Deprecated in TF (it is an identity to the computation).
    """
    input = convert_to_tensor(input, name="input")
    return apply_op("GuaranteeConst", [input], name=name)


def timestamp(name=None):
    """The current time in seconds since the epoch (float64), when the op runs."""
    return apply_op("Timestamp", [], name=name)


def sparse_matmul(
    a, b, transpose_a=False, transpose_b=False, a_is_sparse=False, b_is_sparse=False, name=None
):
    """The float32 product of `a` and `b` (float32 or bfloat16); the `*_is_sparse` flags are
    hints that chose TF's CPU algorithm and do not change the result."""
    a = convert_to_tensor(a, preferred_dtype=dtypes.float32, name="a")
    b = convert_to_tensor(b, preferred_dtype=dtypes.float32, name="b")
    for arg, t in (("a", a), ("b", b)):
        if t.dtype not in (dtypes.float32, dtypes.bfloat16):
            raise TypeError(
                f"Value passed to parameter '{arg}' has DataType {t.dtype.name} not "
                "in list of allowed values: float32, bfloat16"
            )
    return apply_op(
        "SparseMatMul",
        [a, b],
        name=name,
        transpose_a=bool(transpose_a),
        transpose_b=bool(transpose_b),
        a_is_sparse=bool(a_is_sparse),
        b_is_sparse=bool(b_is_sparse),
    )
