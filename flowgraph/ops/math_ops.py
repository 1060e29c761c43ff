"""Math ops: arithmetic, comparisons, logic, casts, matmul, reductions, and Tensor operators."""

from __future__ import annotations

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor, apply_op
from flowgraph.ops import array_ops
from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.ops.constant_op import (
    constant,
    convert_to_tensor,
    register_tensor_conversion_function,
)

_FLOATS = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)
_FLOATS_COMPLEX = _FLOATS + (dtypes.complex64, dtypes.complex128)


def _as_tensors(op_type: str, names: tuple[str, ...], values: list) -> list[Tensor]:
    """Converts inputs that share TF's type attr `T`: the first tensor's dtype wins."""
    dtype = next((v.dtype.base_dtype for v in values if isinstance(v, Tensor)), None)
    out = []
    for name, value in zip(names, values):
        try:
            t = convert_to_tensor(value, dtype=dtype)
        except ValueError:
            if not isinstance(value, Tensor):
                raise  # not a dtype clash: e.g. a ragged list
            raise TypeError(
                f"Input '{name}' of '{op_type}' Op has type {value.dtype.base_dtype.name} that "
                f"does not match type {dtype.name} of argument '{names[0]}'."
            ) from None
        dtype = dtype or t.dtype.base_dtype
        out.append(t)
    return out


def _check_dtype(op_type: str, t: Tensor, allowed) -> None:
    if allowed is not None and t.dtype.base_dtype not in allowed:
        raise TypeError(
            f"Value passed to parameter 'x' has DataType {t.dtype.base_dtype.name} not in list "
            f"of allowed values: {', '.join(d.name for d in allowed)} (op '{op_type}')"
        )


def _binary(op_type: str, x, y, name, allowed=None) -> Tensor:
    x, y = _as_tensors(op_type, ("x", "y"), [x, y])
    _check_dtype(op_type, x, allowed)
    return apply_op(op_type, [x, y], name=name, T=x.dtype.base_dtype.numpy_dtype)


def _unary(op_type: str, x, name, allowed=None) -> Tensor:
    x = convert_to_tensor(x)
    _check_dtype(op_type, x, allowed)
    return apply_op(op_type, [x], name=name, T=x.dtype.base_dtype.numpy_dtype)


def add(x, y, name=None) -> Tensor:
    """x + y elementwise, with broadcasting."""
    return _binary("Add", x, y, name)


def add_v2(x, y, name=None) -> Tensor:
    """x + y elementwise, with broadcasting (the `AddV2` op)."""
    return _binary("AddV2", x, y, name)


def subtract(x, y, name=None) -> Tensor:
    """x - y elementwise, with broadcasting."""
    return _binary("Sub", x, y, name)


def multiply(x, y, name=None) -> Tensor:
    """x * y elementwise, with broadcasting."""
    return _binary("Mul", x, y, name)


def realdiv(x, y, name=None) -> Tensor:
    """x / y for real types."""
    return _binary("RealDiv", x, y, name)


def truediv(x, y, name=None) -> Tensor:
    """x / y; integers are first cast to float (int8/16 → float32, int32/64 → float64)."""
    x, y = _as_tensors("RealDiv", ("x", "y"), [x, y])
    if x.dtype.base_dtype.is_integer:
        target = dtypes.float32 if x.dtype.size <= 2 else dtypes.float64
        x, y = cast(x, target), cast(y, target)
    return _binary("RealDiv", x, y, name)


def divide(x, y, name=None) -> Tensor:
    """x / y (Python 3 division)."""
    return truediv(x, y, name=name)


def floordiv(x, y, name=None) -> Tensor:
    """x // y, rounding toward negative infinity."""
    return _binary("FloorDiv", x, y, name)


def div(x, y, name=None) -> Tensor:
    """TF1's Python-2 division: floor division for integers, real division otherwise."""
    x, y = _as_tensors("Div", ("x", "y"), [x, y])
    if x.dtype.base_dtype.is_integer:
        return floordiv(x, y, name=name)
    return realdiv(x, y, name=name)


def floormod(x, y, name=None) -> Tensor:
    """x % y with the sign of y (Python's modulo)."""
    return _binary("FloorMod", x, y, name)


mod = floormod


def pow(x, y, name=None) -> Tensor:  # noqa: A001
    """x ** y elementwise."""
    return _binary("Pow", x, y, name)


def maximum(x, y, name=None) -> Tensor:
    return _binary("Maximum", x, y, name)


def minimum(x, y, name=None) -> Tensor:
    return _binary("Minimum", x, y, name)


def squared_difference(x, y, name=None) -> Tensor:
    """(x - y)² elementwise."""
    return _binary("SquaredDifference", x, y, name)


def equal(x, y, name=None) -> Tensor:
    return _binary("Equal", x, y, name)


def not_equal(x, y, name=None) -> Tensor:
    return _binary("NotEqual", x, y, name)


def less(x, y, name=None) -> Tensor:
    return _binary("Less", x, y, name)


def less_equal(x, y, name=None) -> Tensor:
    return _binary("LessEqual", x, y, name)


def greater(x, y, name=None) -> Tensor:
    return _binary("Greater", x, y, name)


def greater_equal(x, y, name=None) -> Tensor:
    return _binary("GreaterEqual", x, y, name)


def logical_and(x, y, name=None) -> Tensor:
    return _binary("LogicalAnd", x, y, name, allowed=(dtypes.bool,))


def logical_or(x, y, name=None) -> Tensor:
    return _binary("LogicalOr", x, y, name, allowed=(dtypes.bool,))


def logical_not(x, name=None) -> Tensor:
    return _unary("LogicalNot", x, name, allowed=(dtypes.bool,))


def logical_xor(x, y, name="LogicalXor") -> Tensor:
    """x XOR y, built as (x | y) & ~(x & y) as TF1 does."""
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=name)


def _unary_fn(op_type: str, allowed=None, doc: str = ""):
    def fn(x, name=None) -> Tensor:
        return _unary(op_type, x, name, allowed)

    fn.__doc__ = doc or f"Computes {op_type} of `x` elementwise."
    return fn


negative = _unary_fn("Neg", doc="-x elementwise.")


def abs(x, name=None) -> Tensor:  # noqa: A001
    """|x| elementwise; for complex `x` the magnitude, a float (TF's `ComplexAbs`)."""
    x = convert_to_tensor(x)
    if x.dtype.is_complex:
        return apply_op(
            "ComplexAbs", [x], name=name, T=x.dtype.numpy_dtype, Tout=x.dtype.real_dtype.numpy_dtype
        )
    return _unary("Abs", x, name)


sign = _unary_fn("Sign")
square = _unary_fn("Square", doc="x² elementwise.")
reciprocal = _unary_fn("Reciprocal", doc="1/x elementwise.")
sqrt = _unary_fn("Sqrt", _FLOATS_COMPLEX)
rsqrt = _unary_fn("Rsqrt", _FLOATS_COMPLEX)
exp = _unary_fn("Exp", _FLOATS_COMPLEX)
expm1 = _unary_fn("Expm1", _FLOATS_COMPLEX)
log = _unary_fn("Log", _FLOATS_COMPLEX)
log1p = _unary_fn("Log1p", _FLOATS_COMPLEX)
sin = _unary_fn("Sin", _FLOATS_COMPLEX)
cos = _unary_fn("Cos", _FLOATS_COMPLEX)
tan = _unary_fn("Tan", _FLOATS_COMPLEX)
tanh = _unary_fn("Tanh", _FLOATS_COMPLEX)
sigmoid = _unary_fn("Sigmoid", _FLOATS_COMPLEX)
floor = _unary_fn("Floor", _FLOATS)
ceil = _unary_fn("Ceil", _FLOATS)


def cast(x, dtype, name=None) -> Tensor:
    """`x` converted to `dtype` (floats to ints truncate toward zero)."""
    base = dtypes.as_dtype(dtype).base_dtype
    x = convert_to_tensor(x)
    if x.dtype.base_dtype == base:
        return x
    return apply_op(
        "Cast",
        [x],
        name=name or "Cast",
        SrcT=x.dtype.base_dtype.numpy_dtype,
        DstT=base.numpy_dtype,
        Truncate=False,
    )


def to_float(x, name="ToFloat") -> Tensor:
    return cast(x, dtypes.float32, name=name)


def to_int32(x, name="ToInt32") -> Tensor:
    return cast(x, dtypes.int32, name=name)


def to_int64(x, name="ToInt64") -> Tensor:
    return cast(x, dtypes.int64, name=name)


def matmul(
    a,
    b,
    transpose_a=False,
    transpose_b=False,
    adjoint_a=False,
    adjoint_b=False,
    a_is_sparse=False,
    b_is_sparse=False,
    name=None,
) -> Tensor:
    """The matrix product of `a` and `b` (batched when either has rank > 2).

    Example:
      >>> tf.matmul(tf.ones([2, 3]), tf.ones([3, 4]))   # shape (2, 4)
    """
    if transpose_a and adjoint_a:
        raise ValueError("Only one of transpose_a and adjoint_a can be True.")
    if transpose_b and adjoint_b:
        raise ValueError("Only one of transpose_b and adjoint_b can be True.")
    a, b = _as_tensors("MatMul", ("a", "b"), [a, b])
    ra, rb = a.shape.ndims, b.shape.ndims
    if ra == 2 and rb == 2:
        if adjoint_a and a.dtype.is_complex or adjoint_b and b.dtype.is_complex:
            return _batch_matmul(a, b, transpose_a or adjoint_a, transpose_b or adjoint_b, name)
        return apply_op(
            "MatMul",
            [a, b],
            name=name,
            transpose_a=transpose_a or adjoint_a,
            transpose_b=transpose_b or adjoint_b,
            T=a.dtype.numpy_dtype,
        )
    return _batch_matmul(
        a,
        b,
        transpose_a or adjoint_a,
        transpose_b or adjoint_b,
        name,
        conj_a=transpose_a and a.dtype.is_complex,
        conj_b=transpose_b and b.dtype.is_complex,
    )


def _batch_matmul(a, b, adj_a, adj_b, name, conj_a=False, conj_b=False) -> Tensor:
    if conj_a or conj_b:
        raise NotImplementedError("transpose without conjugation of complex batched matrices")
    return apply_op(
        "BatchMatMulV2",
        [a, b],
        name=name,
        adj_x=bool(adj_a),
        adj_y=bool(adj_b),
        T=a.dtype.numpy_dtype,
    )


def add_n(inputs, name=None) -> Tensor:
    """The elementwise sum of a list of tensors of one shape and dtype."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError(
            "inputs must be a list of at least one Tensor with the same dtype and shape"
        )
    tensors = _as_tensors("AddN", ("inputs",) * len(inputs), list(inputs))
    if len(tensors) == 1:
        return array_ops.identity(tensors[0], name=name) if name else tensors[0]
    return apply_op("AddN", tensors, name=name, N=len(tensors), T=tensors[0].dtype.numpy_dtype)


def _reduce(
    op_type: str, input_tensor, axis, keepdims, name, reduction_indices, keep_dims, allowed=None
) -> Tensor:
    axis = _deprecated("axis", axis, "reduction_indices", reduction_indices)
    keepdims = _deprecated("keepdims", keepdims, "keep_dims", keep_dims)
    x = convert_to_tensor(input_tensor)
    _check_dtype(op_type, x, allowed)
    return apply_op(
        op_type,
        [x, _reduction_axes(x, axis)],
        name=name,
        keep_dims=bool(keepdims),
        T=x.dtype.numpy_dtype,
    )


def _deprecated(new_name: str, new, old_name: str, old):
    if new is not None and old is not None:
        raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'.")
    return new if new is not None else old


def _reduction_axes(x: Tensor, axis) -> Tensor:
    if isinstance(axis, Tensor):
        return axis  # int32 or int64, as TF's Tidx allows
    if axis is not None:
        return convert_to_tensor(axis, dtype=dtypes.int32)
    if x.shape.ndims is not None:
        return constant(np.arange(x.shape.ndims, dtype=np.int32), name="Const")
    return array_ops.range(0, array_ops.rank(x), 1)


def _reduction(op_type: str, doc: str, allowed=None):
    def fn(
        input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None
    ) -> Tensor:
        return _reduce(
            op_type, input_tensor, axis, keepdims, name, reduction_indices, keep_dims, allowed
        )

    fn.__doc__ = doc + "\n\nArgs: `axis` (None: all), `keepdims` (TF1: `keep_dims`)."
    return fn


_NUMERIC = tuple(dtypes.NUMERIC_TYPES)
reduce_sum = _reduction("Sum", "The sum of elements across `axis`.", _NUMERIC)
reduce_mean = _reduction("Mean", "The mean of elements across `axis`.", _NUMERIC)
reduce_prod = _reduction("Prod", "The product of elements across `axis`.", _NUMERIC)
reduce_max = _reduction("Max", "The maximum of elements across `axis`.", _NUMERIC)
reduce_min = _reduction("Min", "The minimum of elements across `axis`.", _NUMERIC)
reduce_all = _reduction("All", "Logical AND across `axis`.", (dtypes.bool,))
reduce_any = _reduction("Any", "Logical OR across `axis`.", (dtypes.bool,))


# -- Tensor operators --------------------------------------------------------------------


def _binary_operator(fn, op_name: str):
    """TF1's operator wrappers: ops built under `name_scope(None, op_name)`, so `x + 1.0`
    is "add" with its constant "add/y", and `2.0 - x` is "sub" with "sub/x"."""

    def forward(x, y):
        graph = x.graph
        with graph.name_scope(op_name) as scope:
            if not isinstance(y, Tensor):
                y = _convert_operand(y, x, "y")
            return fn(x, y, name=scope)

    def reverse(y, x):
        graph = y.graph
        with graph.name_scope(op_name) as scope:
            x = _convert_operand(x, y, "x")
            return fn(x, y, name=scope)

    return forward, reverse


def _convert_operand(value, other: Tensor, name: str):
    try:
        return convert_to_tensor(value, dtype_hint=other.dtype.base_dtype, name=name)
    except (TypeError, ValueError):
        return value  # let the op report the dtype mismatch in TF's words


def _truediv_op(x, y, name=None):
    return truediv(x, y, name=name)


def _and_op(x, y, name=None):
    return logical_and(x, y, name=name)


def _or_op(x, y, name=None):
    return logical_or(x, y, name=name)


def _xor_op(x, y, name=None):
    return logical_xor(x, y, name=name)


_OPERATORS = {
    "add": (add, "add"),
    "sub": (subtract, "sub"),
    "mul": (multiply, "mul"),
    "truediv": (_truediv_op, "truediv"),
    "floordiv": (floordiv, "floordiv"),
    "mod": (floormod, "mod"),
    "pow": (pow, "pow"),
    "matmul": (matmul, "matmul"),
    "and": (_and_op, "and"),
    "or": (_or_op, "or"),
    "xor": (_xor_op, "xor"),
}

for _name, (_fn, _op_name) in _OPERATORS.items():
    _forward, _reverse = _binary_operator(_fn, _op_name)
    Tensor._override_operator(f"__{_name}__", _forward)
    Tensor._override_operator(f"__r{_name}__", _reverse)

for _name, _fn in {"lt": less, "le": less_equal, "gt": greater, "ge": greater_equal}.items():
    Tensor._override_operator(f"__{_name}__", _fn)

Tensor._override_operator("__neg__", lambda x: negative(x))
Tensor._override_operator("__abs__", lambda x: abs(x))
Tensor._override_operator("__invert__", lambda x: logical_not(x))

del _name, _fn, _op_name, _forward, _reverse


def unsorted_segment_sum(data, segment_ids, num_segments, name=None) -> Tensor:
    """Sums the rows of `data` that share a segment id; the result has `num_segments` rows."""
    data = convert_to_tensor(data)
    ids = convert_to_tensor(segment_ids)
    n = convert_to_tensor(num_segments, dtype=dtypes.int32)
    return apply_op("UnsortedSegmentSum", [data, ids, n], name=name, T=data.dtype.numpy_dtype)


def _indexed_slices_to_tensor(value, dtype=None, name=None, as_ref=False) -> Tensor:
    """Densifies IndexedSlices: rows listed twice are summed."""
    if value.dense_shape is None:
        raise ValueError(f"Tensor conversion requested for IndexedSlices without dense_shape: "
                         f"{value}")
    rows = value.dense_shape[0] if isinstance(value.dense_shape, Tensor) else (
        int(value.dense_shape[0]))
    return unsorted_segment_sum(value.values, value.indices, rows, name=name)


register_tensor_conversion_function(IndexedSlices, _indexed_slices_to_tensor)
