"""Math ops: arithmetic, comparisons, logic, casts, matmul, reductions, and Tensor operators."""

from __future__ import annotations

import collections

import numpy as np

from flowgraph.framework import dtypes
from flowgraph.framework.indexed_slices import IndexedSlices
from flowgraph.framework.ops import Tensor, apply_op, encloses, get_default_graph
from flowgraph.framework.scopes import name_scope
from flowgraph.ops import array_ops
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
    return apply_op(op_type, [x, y], name=name)


def _unary(op_type: str, x, name, allowed=None) -> Tensor:
    x = convert_to_tensor(x)
    _check_dtype(op_type, x, allowed)
    return apply_op(op_type, [x], name=name)


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


def to_double(x, name="ToDouble") -> Tensor:
    return cast(x, dtypes.float64, name=name)


def to_bfloat16(x, name="ToBFloat16") -> Tensor:
    return cast(x, dtypes.bfloat16, name=name)


def to_complex64(x, name="ToComplex64") -> Tensor:
    return cast(x, dtypes.complex64, name=name)


def to_complex128(x, name="ToComplex128") -> Tensor:
    return cast(x, dtypes.complex128, name=name)


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
    if ra is not None and rb is not None and ra <= 2 and rb <= 2:  # TF's choice of MatMul
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
        name or "MatMul",  # TF's: its name scope's, whichever op it makes
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
    out = apply_op(
        op_type,
        [x, _reduction_axes(x, axis)],
        name=name,
        keep_dims=bool(keepdims),
    )
    if axis is None and not keepdims and out.shape.ndims is None:
        out.set_shape([])  # all axes: a scalar whatever the rank (TF's _may_reduce_to_scalar)
    return out


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


def _graph_for(x: Tensor):
    # Inside a function body built in x's graph, the operator's op belongs to the body; a
    # body's tensor used outside it stays outside (where the op reports it, as TF1 does).
    current = get_default_graph()
    return current if encloses(x.graph, current) or x.graph.control_flow else x.graph


def _binary_operator(fn, op_name: str):
    """TF1's operator wrappers: ops built under `name_scope(None, op_name)`, so `x + 1.0`
    is "add" with its constant "add/y", and `2.0 - x` is "sub" with "sub/x"."""

    def forward(x, y):
        graph = _graph_for(x)
        with graph.name_scope(op_name) as scope:
            if not isinstance(y, Tensor):
                y = _convert_operand(y, x, "y")
            return fn(x, y, name=scope)

    def reverse(y, x):
        graph = _graph_for(y)
        with graph.name_scope(op_name) as scope:
            x = _convert_operand(x, y, "x")
            return fn(x, y, name=scope)

    return forward, reverse


def _convert_operand(value, other: Tensor, name: str):
    try:
        return convert_to_tensor(value, dtype_hint=other.dtype.base_dtype, name=name)
    except (TypeError, ValueError):
        return value  # let the op report the dtype mismatch in TF's words


def _add_dispatch(x, y, name=None):
    # TF 1.15's `Tensor.__add__`: Add for strings and AddV2 for every other type (tf.add
    # itself stays TF 1's Add).
    if x.dtype.base_dtype == dtypes.string:
        return add(x, y, name=name)
    return add_v2(x, y, name=name)


def _truediv_op(x, y, name=None):
    return truediv(x, y, name=name)


def _and_op(x, y, name=None):
    return logical_and(x, y, name=name)


def _or_op(x, y, name=None):
    return logical_or(x, y, name=name)


def _xor_op(x, y, name=None):
    return logical_xor(x, y, name=name)


_OPERATORS = {
    "add": (_add_dispatch, "add"),
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
        raise ValueError(
            f"Tensor conversion requested for IndexedSlices without dense_shape: {value}"
        )
    rows = (
        value.dense_shape[0]
        if isinstance(value.dense_shape, Tensor)
        else (int(value.dense_shape[0]))
    )
    return unsorted_segment_sum(value.values, value.indices, rows, name=name)


register_tensor_conversion_function(IndexedSlices, _indexed_slices_to_tensor)


# -- more elementwise ops ----------------------------------------------------------------

_REAL = _FLOATS + tuple(dtypes.INTEGER_TYPES)


def truncatediv(x, y, name=None) -> Tensor:
    """x / y rounded toward zero (C's division)."""
    return _binary("TruncateDiv", x, y, name, _REAL)


def truncatemod(x, y, name=None) -> Tensor:
    """The remainder of `truncatediv`: x - truncatediv(x, y) * y, with the sign of x."""
    return _binary("TruncateMod", x, y, name, _REAL)


def atan2(y, x, name=None) -> Tensor:
    """The angle of the point (x, y): arctan(y / x) in the right quadrant, in [-pi, pi]."""
    y, x = _as_tensors("Atan2", ("y", "x"), [y, x])
    _check_dtype("Atan2", y, _FLOATS)
    return apply_op("Atan2", [y, x], name=name, T=y.dtype.base_dtype.numpy_dtype)


asin = _unary_fn("Asin", _FLOATS_COMPLEX)
acos = _unary_fn("Acos", _FLOATS_COMPLEX)
atan = _unary_fn("Atan", _FLOATS_COMPLEX)
sinh = _unary_fn("Sinh", _FLOATS_COMPLEX)
cosh = _unary_fn("Cosh", _FLOATS_COMPLEX)
asinh = _unary_fn("Asinh", _FLOATS_COMPLEX)
acosh = _unary_fn("Acosh", _FLOATS_COMPLEX)
atanh = _unary_fn("Atanh", _FLOATS_COMPLEX)
erf = _unary_fn("Erf", _FLOATS, "The Gauss error function of `x` elementwise.")
erfc = _unary_fn("Erfc", _FLOATS, "The complementary error function of `x`: 1 - erf(x).")
lgamma = _unary_fn("Lgamma", _FLOATS, "log(|Gamma(x)|) elementwise.")
digamma = _unary_fn("Digamma", _FLOATS, "Psi, the derivative of lgamma, elementwise.")
rint = _unary_fn("Rint", _FLOATS, "The closest integer to `x`; halves go to the even one.")
is_finite = _unary_fn("IsFinite", _FLOATS, "Which elements of `x` are finite (bool).")
is_nan = _unary_fn("IsNan", _FLOATS, "Which elements of `x` are NaN (bool).")
is_inf = _unary_fn("IsInf", _FLOATS, "Which elements of `x` are +-inf (bool).")


def round(x, name=None) -> Tensor:  # noqa: A001
    """Rounds `x` to the nearest integer, halves to even (banker's rounding).

    Example:
      >>> tf.round([0.5, 1.5, 2.5, -0.5])   # [0., 2., 2., -0.]
    """
    x = convert_to_tensor(x, name="x")
    if x.dtype.base_dtype.is_integer:
        return x
    return _unary("Round", x, name, _FLOATS)


def log_sigmoid(x, name=None) -> Tensor:
    """log(1 / (1 + exp(-x))), computed as -softplus(-x) for stability."""
    with name_scope(name, "LogSigmoid", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        softplus = apply_op("Softplus", [negative(x)], T=x.dtype.base_dtype.numpy_dtype)
        return negative(softplus, name=scope)


def scalar_mul(scalar, x, name=None):
    """`scalar * x` for a scalar; keeps IndexedSlices sparse."""
    dtype = x.dtype.base_dtype if isinstance(x, (Tensor, IndexedSlices)) else None
    scalar = convert_to_tensor(scalar, dtype=dtype, name="scalar")
    if scalar.shape.ndims != 0:
        raise ValueError(f"Only scalar multiply works, got shape {scalar.shape}")
    if isinstance(x, IndexedSlices):
        return IndexedSlices(multiply(scalar, x.values, name), x.indices, x.dense_shape)
    return multiply(scalar, x, name)


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None) -> Tensor:
    """The elementwise sum of a list of tensors of one shape and dtype (an `AddN`)."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError(
            "inputs must be a list of at least one Tensor/IndexedSlices with the same dtype "
            "and shape"
        )
    inputs = [convert_to_tensor(t) for t in inputs]
    if not all(t.dtype.base_dtype == inputs[0].dtype.base_dtype for t in inputs):
        raise ValueError(
            "inputs must be a list of at least one Tensor/IndexedSlices with the "
            "same dtype and shape"
        )
    if tensor_dtype is not None and dtypes.as_dtype(tensor_dtype) != inputs[0].dtype:
        raise TypeError(
            f"tensor_dtype is {tensor_dtype}, but input is of type {inputs[0].dtype.name}"
        )
    if shape is not None:
        for t in inputs:
            if not t.shape.is_compatible_with(shape):
                raise ValueError(f"Shapes {t.shape} and {shape} are incompatible")
    if len(inputs) == 1 and name is None:
        return inputs[0]
    return add_n(inputs, name=name)


# -- scans and arg reductions ----------------------------------------------------------------


def _scan(op_type: str, x, axis, exclusive, reverse, name) -> Tensor:
    with name_scope(name, op_type, [x]) as scope:
        x = convert_to_tensor(x, name="x")
        _check_dtype(op_type, x, _NUMERIC)
        axis = _int_tensor(axis, "axis")
        return apply_op(
            op_type,
            [x, axis],
            name=scope,
            exclusive=bool(exclusive),
            reverse=bool(reverse),
            T=x.dtype.base_dtype.numpy_dtype,
            Tidx=axis.dtype.base_dtype.numpy_dtype,
        )


def _int_tensor(value, name: str) -> Tensor:
    if isinstance(value, Tensor):
        if value.dtype.base_dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(
                f"Value passed to parameter '{name}' has DataType "
                f"{value.dtype.base_dtype.name} not in list of allowed values: "
                "int32, int64"
            )
        return value
    return convert_to_tensor(value, dtype=dtypes.int32, name=name)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None) -> Tensor:
    """Cumulative sum of `x` along `axis`.

    Example:
      >>> tf.cumsum([a, b, c])                   # [a, a + b, a + b + c]
      >>> tf.cumsum([a, b, c], exclusive=True)   # [0, a, a + b]
      >>> tf.cumsum([a, b, c], reverse=True)     # [a + b + c, b + c, c]
    """
    return _scan("Cumsum", x, axis, exclusive, reverse, name)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None) -> Tensor:
    """Cumulative product of `x` along `axis` (`exclusive` starts from 1)."""
    return _scan("Cumprod", x, axis, exclusive, reverse, name)


def _arg(op_type: str, input, axis, name, dimension, output_type) -> Tensor:
    axis = _deprecated("axis", axis, "dimension", dimension)
    x = convert_to_tensor(input, name="input")
    _check_dtype(op_type, x, _NUMERIC)
    output_type = dtypes.as_dtype(output_type).base_dtype
    if output_type not in (dtypes.int32, dtypes.int64):
        raise TypeError(
            f"Value passed to parameter 'output_type' has DataType "
            f"{output_type.name} not in list of allowed values: int32, int64"
        )
    axis = _int_tensor(0 if axis is None else axis, "dimension")
    return apply_op(
        op_type,
        [x, axis],
        name=name,
        T=x.dtype.base_dtype.numpy_dtype,
        Tidx=axis.dtype.base_dtype.numpy_dtype,
        output_type=output_type.numpy_dtype,
    )


def argmax(input, axis=None, name=None, dimension=None, output_type=dtypes.int64) -> Tensor:
    """The index of the largest value along `axis` (default 0; TF1: `dimension`)."""
    return _arg("ArgMax", input, axis, name, dimension, output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type=dtypes.int64) -> Tensor:
    """The index of the smallest value along `axis` (default 0; TF1: `dimension`)."""
    return _arg("ArgMin", input, axis, name, dimension, output_type)


# -- composite reductions --------------------------------------------------------------------


def reduce_logsumexp(
    input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None
) -> Tensor:
    """log(sum(exp(x))) across `axis`, stable for large values (the max is subtracted)."""
    axis = _deprecated("axis", axis, "reduction_indices", reduction_indices)
    keepdims = bool(_deprecated("keepdims", keepdims, "keep_dims", keep_dims))
    with name_scope(name, "ReduceLogSumExp", [input_tensor]) as scope:
        x = convert_to_tensor(input_tensor)
        raw_max = reduce_max(x, axis, keepdims=True)
        shift = array_ops.stop_gradient(
            array_ops.where(is_finite(raw_max), raw_max, array_ops.zeros_like(raw_max))
        )
        result = log(reduce_sum(exp(subtract(x, shift)), axis, keepdims=keepdims))
        if not keepdims:
            shift = reduce_sum(shift, axis)  # drops the kept size-1 dims, whatever `axis` is
        return add(result, shift, name=scope)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None) -> Tensor:
    """The variance of elements across `axis` (`tf.math.reduce_variance`, TF 1.15)."""
    with name_scope(name, "reduce_variance", [input_tensor]):
        x = convert_to_tensor(input_tensor)
        means = reduce_mean(x, axis=axis, keepdims=True)
        deviations = subtract(x, means)
        squared = square(abs(deviations)) if x.dtype.is_complex else square(deviations)
        return reduce_mean(squared, axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None) -> Tensor:
    """The standard deviation of elements across `axis` (`tf.math.reduce_std`, TF 1.15)."""
    with name_scope(name, "reduce_std", [input_tensor]):
        return sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """The mean and (population) variance of `x` across `axes`, as `tf.nn.moments`.

    `shift` is unused, as in TF 1.x. float16 inputs are reduced in float32.

    Example:
      >>> mean, variance = tf.nn.moments(x, axes=[0])
    """
    keep_dims = bool(_deprecated("keepdims", keepdims, "keep_dims", keep_dims))
    with name_scope(name, "moments", [x, axes]):
        x = convert_to_tensor(x)
        y = cast(x, dtypes.float32) if x.dtype.base_dtype == dtypes.float16 else x
        mean = reduce_mean(y, axes, keepdims=True, name="mean")
        variance = reduce_mean(
            squared_difference(y, array_ops.stop_gradient(mean)),
            axes,
            keepdims=True,
            name="variance",
        )
        if not keep_dims:
            mean = array_ops.squeeze(mean, axes)
            variance = array_ops.squeeze(variance, axes)
        if x.dtype.base_dtype == dtypes.float16:
            return cast(mean, dtypes.float16), cast(variance, dtypes.float16)
        return mean, variance


def count_nonzero(
    input_tensor,
    axis=None,
    keepdims=None,
    dtype=dtypes.int64,
    name=None,
    reduction_indices=None,
    keep_dims=None,
) -> Tensor:
    """The number of non-zero elements across `axis`, as `dtype` (default int64)."""
    axis = _deprecated("axis", axis, "reduction_indices", reduction_indices)
    keepdims = _deprecated("keepdims", keepdims, "keep_dims", keep_dims)
    with name_scope(name, "count_nonzero", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        zero = array_ops.zeros([], dtype=x.dtype)
        nonzero = cast(not_equal(x, zero), dtypes.int64)
        return cast(reduce_sum(nonzero, axis=axis, keepdims=keepdims), dtype=dtype)


# -- segment reductions ----------------------------------------------------------------------


def _segment(op_type: str, data, segment_ids, name, *extra) -> Tensor:
    data = convert_to_tensor(data, name="data")
    _check_dtype(op_type, data, _NUMERIC)
    ids = _int_tensor(segment_ids, "segment_ids")
    inputs = [data, ids] + [_int_tensor(n, "num_segments") for n in extra]
    return apply_op(
        op_type,
        inputs,
        name=name,
        T=data.dtype.base_dtype.numpy_dtype,
        Tindices=ids.dtype.base_dtype.numpy_dtype,
    )


def _sorted_segment_fn(op_type: str, what: str):
    def fn(data, segment_ids, name=None) -> Tensor:
        return _segment(op_type, data, segment_ids, name)

    fn.__doc__ = (
        f"The {what} of the rows of `data` in each segment; `segment_ids` are sorted.\n\n"
        "The output has `segment_ids[-1] + 1` rows. The ids are needed when the graph is\n"
        "compiled (constants or feeds): each new id vector compiles its segment anew."
    )
    return fn


segment_sum = _sorted_segment_fn("SegmentSum", "sum")
segment_mean = _sorted_segment_fn("SegmentMean", "mean (0 for an empty segment)")
segment_max = _sorted_segment_fn("SegmentMax", "maximum (0 for an empty segment)")
segment_min = _sorted_segment_fn("SegmentMin", "minimum (0 for an empty segment)")
segment_prod = _sorted_segment_fn("SegmentProd", "product (1 for an empty segment)")


def _unsorted_segment_fn(op_type: str, what: str):
    def fn(data, segment_ids, num_segments, name=None) -> Tensor:
        return _segment(op_type, data, segment_ids, name, num_segments)

    fn.__doc__ = (
        f"The {what} of the rows of `data` sharing a segment id; the result has "
        "`num_segments` rows."
    )
    return fn


unsorted_segment_max = _unsorted_segment_fn(
    "UnsortedSegmentMax", "maximum (the dtype's lowest value for an empty segment)"
)
unsorted_segment_min = _unsorted_segment_fn(
    "UnsortedSegmentMin", "minimum (the dtype's highest value for an empty segment)"
)
unsorted_segment_prod = _unsorted_segment_fn(
    "UnsortedSegmentProd", "product (1 for an empty segment)"
)


# -- Bincount ----------------------------------------------------------------------------------


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=dtypes.int32, name=None):
    """How often each value in `arr` occurs (weighted by `weights` if given): a vector of
    length `max(arr) + 1` (0 for an empty `arr`), at least `minlength`, at most `maxlength`.

    Example:
      >>> tf.bincount([1, 1, 3])   # [0, 2, 0, 1]
    """
    with name_scope(name or "bincount"):
        arr = convert_to_tensor(arr, name="arr", dtype=dtypes.int32)
        nonempty = reduce_prod(array_ops.shape(arr)) > 0
        size = cast(nonempty, dtypes.int32) * (reduce_max(arr) + 1)
        if minlength is not None:
            size = maximum(convert_to_tensor(minlength, dtypes.int32, name="minlength"), size)
        if maxlength is not None:
            size = minimum(convert_to_tensor(maxlength, dtypes.int32, name="maxlength"), size)
        if weights is None:
            weights = constant([], dtypes.as_dtype(dtype))
        else:
            weights = convert_to_tensor(weights, name="weights")
        allowed = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)
        _check_dtype("Bincount", weights, allowed)
        return apply_op("Bincount", [arr, size, weights], name="Bincount")


# -- Quantization ------------------------------------------------------------------------------

_QUANTIZED = (dtypes.qint8, dtypes.quint8, dtypes.qint16, dtypes.quint16, dtypes.qint32)
_QUANTIZE_MODES = ("MIN_COMBINED", "MIN_FIRST", "SCALED")


_QuantizeOutput = collections.namedtuple("QuantizeV2", ["output", "output_min", "output_max"])


def _check_mode(mode: str) -> None:
    if mode not in _QUANTIZE_MODES:
        raise ValueError(
            f"Mode string must be 'MIN_COMBINED', 'MIN_FIRST', or 'SCALED', is '{mode}'"
        )


def _quantized_dtype(T, what: str) -> dtypes.DType:
    T = dtypes.as_dtype(T).base_dtype
    if T not in _QUANTIZED:
        raise TypeError(
            f"Value passed to parameter '{what}' has DataType {T.name} not in list of allowed "
            "values: qint8, quint8, qint32, qint16, quint16"
        )
    return T


def quantize_v2(
    input,
    min_range,
    max_range,
    T,
    mode="MIN_COMBINED",
    name=None,  # noqa: A002
    round_mode="HALF_AWAY_FROM_ZERO",
):
    """Quantizes float `input` in [min_range, max_range] to the quantized type `T`:
    `(output, output_min, output_max)` (TF's QuantizeV2; the range may be widened)."""
    T = _quantized_dtype(T, "T")
    _check_mode(mode)
    if round_mode not in ("HALF_AWAY_FROM_ZERO", "HALF_TO_EVEN"):
        raise ValueError(
            f"Round mode string must be 'HALF_AWAY_FROM_ZERO' or 'HALF_TO_EVEN', is '{round_mode}'"
        )
    if round_mode == "HALF_TO_EVEN" and mode != "SCALED":
        raise ValueError(
            f"Round mode 'HALF_TO_EVEN' only supported for mode 'SCALED', but mode is '{mode}'."
        )
    input = convert_to_tensor(input, dtype=dtypes.float32, name="input")
    lo = convert_to_tensor(min_range, dtype=dtypes.float32, name="min_range")
    hi = convert_to_tensor(max_range, dtype=dtypes.float32, name="max_range")
    out = apply_op(
        "QuantizeV2", [input, lo, hi], name=name, T=T.numpy_dtype, mode=mode, round_mode=round_mode
    )
    return _QuantizeOutput(*out)


def quantize(
    input,
    min_range,
    max_range,
    T,
    mode="MIN_COMBINED",  # noqa: A002
    round_mode="HALF_AWAY_FROM_ZERO",
    name=None,
):
    """`quantize_v2` (TF1's `tf.quantization.quantize`)."""
    return quantize_v2(input, min_range, max_range, T, mode, name, round_mode)


def dequantize(input, min_range, max_range, mode="MIN_COMBINED", name=None) -> Tensor:  # noqa: A002
    """Maps quantized `input` back to float32 over [min_range, max_range] (TF's Dequantize)."""
    _check_mode(mode)
    input = convert_to_tensor(input)
    _quantized_dtype(input.dtype, "T")
    lo = convert_to_tensor(min_range, dtype=dtypes.float32, name="min_range")
    hi = convert_to_tensor(max_range, dtype=dtypes.float32, name="max_range")
    return apply_op("Dequantize", [input, lo, hi], name=name, T=input.dtype.numpy_dtype, mode=mode)


def _fake_quant_attrs(min, max, num_bits, narrow_range) -> dict:  # noqa: A002
    if not 2 <= int(num_bits) <= 16:
        raise ValueError(f"num_bits is out of range, expected between 2 and 16, was: {num_bits}")
    if not float(min) < float(max):
        raise ValueError(f"min has to be smaller than max, was: {min} >= {max}")
    return {
        "min": float(min),
        "max": float(max),
        "num_bits": int(num_bits),
        "narrow_range": bool(narrow_range),
    }


def fake_quant_with_min_max_args(
    inputs,
    min=-6,
    max=6,
    num_bits=8,  # noqa: A002
    narrow_range=False,
    name=None,
) -> Tensor:
    """Quantizes float32 `inputs` to `num_bits` over [min, max] (nudged so that 0 is exact)
    and back to float32; the gradient passes straight through inside the nudged range."""
    inputs = convert_to_tensor(inputs, dtype=dtypes.float32, name="inputs")
    attrs = _fake_quant_attrs(min, max, num_bits, narrow_range)
    return apply_op("FakeQuantWithMinMaxArgs", [inputs], name=name, **attrs)


def fake_quant_with_min_max_args_gradient(
    gradients,
    inputs,
    min=-6,
    max=6,  # noqa: A002
    num_bits=8,
    narrow_range=False,
    name=None,
) -> Tensor:
    """`gradients` where `inputs` lie in the nudged [min, max], else 0."""
    gradients = convert_to_tensor(gradients, dtype=dtypes.float32, name="gradients")
    inputs = convert_to_tensor(inputs, dtype=dtypes.float32, name="inputs")
    attrs = _fake_quant_attrs(min, max, num_bits, narrow_range)
    return apply_op("FakeQuantWithMinMaxArgsGradient", [gradients, inputs], name=name, **attrs)


def _fake_quant_grad(op, grad):
    attrs = {k: op.get_attr(k) for k in ("min", "max", "num_bits", "narrow_range")}
    return [fake_quant_with_min_max_args_gradient(grad, op.inputs[0], **attrs)]


def _register_late_gradients() -> None:
    from flowgraph.ops.gradients import RegisterGradient  # gradients imports this module

    RegisterGradient("FakeQuantWithMinMaxArgs")(_fake_quant_grad)


_register_late_gradients()
