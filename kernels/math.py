"""Math kernels: elementwise arithmetic, comparisons, logic, casts, matmul, reductions."""

from __future__ import annotations

import functools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels.array import format_shape, merge_shapes
from kernels.conventions import select_derivative, with_scaled_derivative
from kernels.errors import InvalidArgumentError
from kernels.registry import Spec, register
from kernels.shapes import (
    broadcast,
    broadcast_shapes,
    broadcast_to_bool,
    reduction,
    same_as_first,
)


def _register_table(table: dict[str, Callable], shape: Callable) -> None:
    binary = shape in (broadcast, broadcast_to_bool)
    for op_type, fn in table.items():
        register(op_type, shape=shape)(_broadcast_checked(fn) if binary else fn)


def _broadcast_checked(fn: Callable) -> Callable:
    """A binary kernel that rejects shapes TF cannot broadcast with TF's run-time text."""

    @functools.wraps(fn)
    def kernel(x, y):
        a, b = np.shape(x), np.shape(y)
        if any(p != q and 1 not in (p, q) for p, q in zip(a[::-1], b[::-1])):
            raise ValueError(f"Incompatible shapes: {format_shape(a)} vs. {format_shape(b)}")
        return fn(x, y)

    return kernel


def add(x, y):
    return x + y


def sub(x, y):
    return x - y


def mul(x, y):
    return x * y


def real_div(x, y):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return _c_div(x, y)  # C's integer division (toward zero), keeping the dtype as TF does
    if isinstance(y, (np.ndarray, np.generic)) and not isinstance(x, (np.ndarray, np.generic)):
        # XLA turns division by a constant into multiplication by its reciprocal, which is
        # not exact (41/41. -> 0.99999994); TF divides exactly. Hide the constant.
        y = lax.optimization_barrier(jnp.asarray(y))
    return x / y


def floor_div(x, y):
    return jnp.floor_divide(x, y)


def floor_mod(x, y):
    return jnp.mod(x, y)


def pow_(x, y):
    if jnp.issubdtype(jnp.result_type(x), jnp.inexact):
        return _pow_masked_log(x, y)
    return jnp.power(x, y)


@jax.custom_jvp
def _pow_masked_log(x, y):
    return jnp.power(x, y)


@_pow_masked_log.defjvp
def _pow_jvp(primals, tangents):
    # TF's PowGrad: d/dy uses log(x) only where x > 0 (x != 0 for complex), else 0, so a
    # negative base gives a finite gradient (and finite second derivatives).
    # Its powers are this rule's own (TF's PowGrad calls Pow), so second derivatives
    # follow TF too: d2/dxdy of x**y at x = -2 is x**(y-1), not jax's nan from log(-2).
    x, y = primals
    tx, ty = tangents
    z = _pow_masked_log(x, y)
    positive = x != 0 if jnp.iscomplexobj(x) else x > 0
    log_x = jnp.where(positive, jnp.log(jnp.where(positive, x, 1)), 0)
    return z, y * _pow_masked_log(x, y - 1) * tx + z * log_x * ty


# TF's MaximumGrad/MinimumGrad give a tie's whole gradient to x (jax splits it).
_maximum = select_derivative(jnp.maximum, jnp.greater_equal)
_minimum = select_derivative(jnp.minimum, jnp.less_equal)


def maximum(x, y):
    return _maximum(x, y)


def minimum(x, y):
    return _minimum(x, y)


def squared_difference(x, y):
    d = x - y
    return d * jnp.conj(d) if jnp.iscomplexobj(d) else jnp.square(d)  # |x - y|² as TF


def logical_and(x, y):
    return jnp.logical_and(x, y)


def logical_or(x, y):
    return jnp.logical_or(x, y)


_register_table(
    {
        "Add": add,
        "AddV2": add,
        "Sub": sub,
        "Mul": mul,
        "RealDiv": real_div,
        "FloorDiv": floor_div,
        "FloorMod": floor_mod,
        "Pow": pow_,
        "Maximum": maximum,
        "Minimum": minimum,
        "SquaredDifference": squared_difference,
        "LogicalAnd": logical_and,
        "LogicalOr": logical_or,
    },
    broadcast,
)


def equal(x, y):
    return x == y


def not_equal(x, y):
    return x != y


def less(x, y):
    return x < y


def less_equal(x, y):
    return x <= y


def greater(x, y):
    return x > y


def greater_equal(x, y):
    return x >= y


_register_table(
    {
        "Equal": equal,
        "NotEqual": not_equal,
        "Less": less,
        "LessEqual": less_equal,
        "Greater": greater,
        "GreaterEqual": greater_equal,
    },
    broadcast_to_bool,
)


def _reciprocal(x):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return lax.div(jnp.ones_like(x), x)  # TF's integer 1/x truncates and keeps the dtype
    return jnp.reciprocal(x)


def _unary(f: Callable) -> Callable:
    def kernel(x):
        return f(x)

    return kernel


_register_table(
    {
        op_type: _unary(f)
        for op_type, f in {
            "Neg": jnp.negative,
            "Abs": with_scaled_derivative(jnp.abs, jnp.sign),  # TF: abs'(0) = 0
            "Sign": jnp.sign,
            "Square": jnp.square,
            "Sqrt": jnp.sqrt,
            "Rsqrt": lax.rsqrt,
            "Exp": jnp.exp,
            "Expm1": jnp.expm1,
            "Log": jnp.log,
            "Log1p": jnp.log1p,
            "Sin": jnp.sin,
            "Cos": jnp.cos,
            "Tan": jnp.tan,
            "Tanh": jnp.tanh,
            "Sigmoid": jax.nn.sigmoid,
            "Floor": jnp.floor,
            "Ceil": jnp.ceil,
            "Reciprocal": _reciprocal,
            "LogicalNot": jnp.logical_not,
        }.items()
    },
    same_as_first,
)


def _cast_shape(specs, attrs, static_values):
    return [specs[0]._replace(dtype=attrs["DstT"])]


@register("Cast", shape=_cast_shape)
def cast(x, *, DstT: np.dtype, Truncate: bool = False):
    if jnp.iscomplexobj(x) and not jnp.issubdtype(DstT, jnp.complexfloating):
        x = jnp.real(x)  # TF keeps the real part
    return x.astype(DstT)


def _complex_abs_shape(specs, attrs, static_values):
    return [specs[0]._replace(dtype=np.dtype(attrs["Tout"]))]


@register("ComplexAbs", shape=_complex_abs_shape)
def complex_abs(x, *, Tout: np.dtype):
    return jnp.abs(x).astype(Tout)


def _add_n_shape(specs, attrs, static_values):
    shape = merge_shapes(s.shape for s in specs)
    return [Spec(shape, specs[0].dtype)]


@register("AddN", shape=_add_n_shape)
def add_n(*inputs):
    total = inputs[0]
    for i, x in enumerate(inputs[1:], 1):
        if x.shape != total.shape:  # AddN never broadcasts
            raise ValueError(
                f"Inputs to operation AddN must have the same size and shape. "
                f"Input 0: {list(total.shape)} != input {i}: {list(x.shape)}"
            )
        total = total + x
    return total


# float32 matmuls run at full precision on every backend (no TF32), as TF1 did.
_PRECISION = lax.Precision.HIGHEST


def _matmul_shape(specs, attrs, static_values):
    """A fast, exact rule: TF's MatMul shape function (inner dims must agree when known)."""
    a, b = specs[0].shape, specs[1].shape
    if a is None or b is None:
        return [
            Spec(
                None
                if a is None and b is None
                else (
                    None if a is None else a[1 if attrs.get("transpose_a") else 0],
                    None if b is None else b[0 if attrs.get("transpose_b") else 1],
                ),
                specs[0].dtype,
            )
        ]
    if len(a) != 2 or len(b) != 2:
        raise ValueError(f"Shape must be rank 2 but is rank {len(a) if len(a) != 2 else len(b)}")
    m, k1 = (a[1], a[0]) if attrs.get("transpose_a") else a
    k2, n = (b[1], b[0]) if attrs.get("transpose_b") else b
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError(f"Dimensions must be equal, but are {k1} and {k2}")
    return [Spec((m, n), specs[0].dtype)]


@register("MatMul", shape=_matmul_shape)
def mat_mul(a, b, *, transpose_a: bool = False, transpose_b: bool = False):
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"Shape must be rank 2 but is rank {a.ndim if a.ndim != 2 else b.ndim}")
    if a.shape[0 if transpose_a else 1] != b.shape[1 if transpose_b else 0]:
        raise ValueError(_size_incompatible(a, b))
    a = a.T if transpose_a else a
    b = b.T if transpose_b else b
    return jnp.matmul(a, b, precision=_PRECISION)


def _size_incompatible(x, y) -> str:
    """TF's MatMul/BatchMatMul kernels' words, with the shapes they were given."""
    shapes = f"In[0]: {format_shape(x.shape)}, In[1]: {format_shape(y.shape)}"
    return f"Matrix size-incompatible: {shapes}"


def _batch_matmul_shape(specs, attrs, static_values):
    """TF's BatchMatMulV2 shape function: broadcast batch dims, inner dims equal."""
    x, y = specs[0].shape, specs[1].shape
    if x is None or y is None:
        return None  # the generic inference
    for shape in (x, y):
        if len(shape) < 2:
            raise ValueError(f"Shape must be at least rank 2 but is rank {len(shape)}")
    m, k1 = _matrix_dims(x, attrs.get("adj_x", False))
    k2, n = _matrix_dims(y, attrs.get("adj_y", False))
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError(f"Dimensions must be equal, but are {k1} and {k2}")
    batch = broadcast_shapes(x[:-2], y[:-2])
    return [Spec(batch + (m, n), specs[0].dtype)]


def _matrix_dims(shape, adjoint: bool):
    return (shape[-1], shape[-2]) if adjoint else (shape[-2], shape[-1])


@register("BatchMatMulV2", shape=_batch_matmul_shape)
def batch_mat_mul_v2(x, y, *, adj_x: bool = False, adj_y: bool = False):
    for i, v in enumerate((x, y)):
        if v.ndim < 2:
            raise ValueError(f"In[{i}] ndims must be >= 2: {v.ndim}")
    try:  # TF's order: the batch dimensions first
        np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        raise ValueError(
            "In[0] and In[1] must have compatible batch dimensions: "
            f"{format_shape(x.shape)} vs. {format_shape(y.shape)}"
        ) from None
    if x.shape[-2 if adj_x else -1] != y.shape[-1 if adj_y else -2]:
        raise ValueError(_size_incompatible(x, y))
    x = jnp.conj(jnp.swapaxes(x, -1, -2)) if adj_x else x
    y = jnp.conj(jnp.swapaxes(y, -1, -2)) if adj_y else y
    return jnp.matmul(x, y, precision=_PRECISION)


def _axes(reduction_indices, rank: int) -> tuple[int, ...]:
    # Axes may come fed at run time, so they are checked here as well as at build time.
    axes = set()
    for a in np.asarray(reduction_indices).reshape(-1).tolist():
        if not -rank <= a < max(rank, 1):
            raise ValueError(f"Invalid reduction dimension {a} for input with {rank} dimensions.")
        axes.add(a % rank if rank else 0)
    return tuple(sorted(axes)) if rank else ()


def _reducer(reduce_fn: Callable) -> Callable:
    def kernel(input, reduction_indices, *, keep_dims: bool = False):
        axes = _axes(reduction_indices, input.ndim)
        return reduce_fn(input, axes, keep_dims)

    return kernel


def _sum(x, axes, keepdims):
    return jnp.sum(x, axis=axes, keepdims=keepdims, dtype=x.dtype)


def _mean(x, axes, keepdims):
    if jnp.issubdtype(x.dtype, jnp.integer):
        # TF's integer mean divides the sum by the count with truncation.
        count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
        return lax.div(_sum(x, axes, keepdims), jnp.asarray(max(count, 1), x.dtype))
    return jnp.mean(x, axis=axes, keepdims=keepdims, dtype=x.dtype)


def _prod(x, axes, keepdims):
    return jnp.prod(x, axis=axes, keepdims=keepdims, dtype=x.dtype)


def _max(x, axes, keepdims):
    initial = _extreme(x.dtype, low=True) if _empty(x, axes) else None
    return jnp.max(x, axis=axes, keepdims=keepdims, initial=initial)


def _min(x, axes, keepdims):
    initial = _extreme(x.dtype, low=False) if _empty(x, axes) else None
    return jnp.min(x, axis=axes, keepdims=keepdims, initial=initial)


def _empty(x, axes) -> bool:
    # Only an empty reduction takes TF's identity (-inf, the lowest int) as its start: an
    # initial value would share the gradient of inputs equal to it (TF splits among inputs).
    return any(x.shape[a] == 0 for a in axes)


def _extreme(dtype, low: bool):
    if jnp.issubdtype(dtype, jnp.integer):
        info = jnp.iinfo(dtype)
        return info.min if low else info.max
    if jnp.issubdtype(dtype, jnp.floating):
        return -jnp.inf if low else jnp.inf
    return None  # complex and bool: jax needs a non-empty input


def _all(x, axes, keepdims):
    return jnp.all(x, axis=axes, keepdims=keepdims)


def _any(x, axes, keepdims):
    return jnp.any(x, axis=axes, keepdims=keepdims)


for _op_type, _fn in {
    "Sum": _sum,
    "Mean": _mean,
    "Prod": _prod,
    "Max": _max,
    "Min": _min,
    "All": _all,
    "Any": _any,
}.items():
    register(_op_type, static=("reduction_indices",), shape=reduction)(_reducer(_fn))


def _segment_sum_shape(specs, attrs, static_values):
    data, ids, n = specs[0].shape, specs[1].shape, static_values[2]
    rows = None if n is None else int(np.asarray(n))
    if data is None or ids is None:
        return [Spec(None, specs[0].dtype)]
    return [Spec((rows,) + data[len(ids) :], specs[0].dtype)]


@register("UnsortedSegmentSum", static=("num_segments",), shape=_segment_sum_shape)
def unsorted_segment_sum(data, segment_ids, num_segments):
    n = int(np.asarray(num_segments))
    flat_ids = segment_ids.reshape(-1)
    flat_data = data.reshape((flat_ids.shape[0],) + data.shape[segment_ids.ndim :])
    # Ids outside [0, n) are dropped, as TF does.
    return jax.ops.segment_sum(flat_data, flat_ids, num_segments=n, mode="drop")


# -- more elementwise ops ----------------------------------------------------------------


def _c_div(x, y):
    # lax.div neither broadcasts nor promotes (x is a tracer, y may be a numpy constant).
    x, y = jnp.broadcast_arrays(x, jnp.asarray(y, x.dtype))
    return lax.div(x, _nonzero(y))


def _nonzero(y):
    # A zero divisor traps the CPU (SIGFPE kills the process); TF raises instead, and the
    # runtime's compiled-in check reports it (device/checks.py), so any value will do here.
    return jnp.where(y == 0, jnp.ones_like(y), y)


def truncate_div(x, y):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return _c_div(x, y)  # C's division: rounds toward zero
    return jnp.trunc(x / y)


def truncate_mod(x, y):
    x, y = jnp.broadcast_arrays(x, jnp.asarray(y, x.dtype))
    if jnp.issubdtype(x.dtype, jnp.integer):
        y = _nonzero(y)
    return lax.rem(x, y)  # C's fmod: the sign of x


def atan2(y, x):
    return jnp.arctan2(y, x)


_register_table(
    {"TruncateDiv": truncate_div, "TruncateMod": truncate_mod, "Atan2": atan2}, broadcast
)


def _round_half_to_even(x):
    return x if jnp.issubdtype(x.dtype, jnp.integer) else jnp.round(x)  # banker's rounding


_register_table(
    {
        op_type: _unary(f)
        for op_type, f in {
            "Asin": jnp.arcsin,
            "Acos": jnp.arccos,
            "Atan": jnp.arctan,
            "Sinh": jnp.sinh,
            "Cosh": jnp.cosh,
            "Asinh": jnp.arcsinh,
            "Acosh": jnp.arccosh,
            "Atanh": jnp.arctanh,
            "Erf": jax.scipy.special.erf,
            "Erfc": jax.scipy.special.erfc,
            "Lgamma": jax.scipy.special.gammaln,
            "Digamma": jax.scipy.special.digamma,
            "Round": _round_half_to_even,
            "Rint": jnp.rint,
        }.items()
    },
    same_as_first,
)


def _to_bool(specs, attrs, static_values) -> list[Spec]:
    return [specs[0]._replace(dtype=np.dtype(bool))]


_register_table(
    {"IsFinite": _unary(jnp.isfinite), "IsNan": _unary(jnp.isnan), "IsInf": _unary(jnp.isinf)},
    _to_bool,
)


# -- scans and arg reductions --------------------------------------------------------------


def _scan_axis(axis, rank: int, what: str = "scan axis") -> int:
    a = np.asarray(axis)
    if a.ndim != 0:
        raise ValueError(f"axis must be a scalar, got shape {list(a.shape)}")
    a = int(a)
    if not -rank <= a < rank:
        raise ValueError(f"Expected {what} in the range [{-rank}, {rank}), but got {a}")
    return a % rank


def _scan_shape(specs, attrs, static_values) -> list[Spec]:
    if specs[0].shape is not None and static_values[1] is not None:
        _scan_axis(static_values[1], len(specs[0].shape))
    return [specs[0]]


def _scan(scan: Callable, identity: int, x, axis, exclusive: bool, reverse: bool):
    a = _scan_axis(axis, x.ndim)
    out = scan(x, axis=a, reverse=reverse)
    n = x.shape[a]
    if not exclusive or n == 0:
        return out
    pad = jnp.full_like(lax.slice_in_dim(x, 0, 1, axis=a), identity)
    if reverse:
        return jnp.concatenate([lax.slice_in_dim(out, 1, n, axis=a), pad], axis=a)
    return jnp.concatenate([pad, lax.slice_in_dim(out, 0, n - 1, axis=a)], axis=a)


@register("Cumsum", static=("axis",), shape=_scan_shape)
def cumsum(x, axis, *, exclusive: bool = False, reverse: bool = False):
    return _scan(lax.cumsum, 0, x, axis, exclusive, reverse)


@register("Cumprod", static=("axis",), shape=_scan_shape)
def cumprod(x, axis, *, exclusive: bool = False, reverse: bool = False):
    if not jnp.issubdtype(x.dtype, jnp.floating):
        return _scan(lax.cumprod, 1, x, axis, exclusive, reverse)
    return _cumprod_tf(x, _scan_axis(axis, x.ndim), exclusive, reverse)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def _cumprod_tf(x, axis: int, exclusive: bool, reverse: bool):
    return _scan(lax.cumprod, 1, x, axis, exclusive, reverse)


@_cumprod_tf.defjvp
def _cumprod_tf_jvp(axis, exclusive, reverse, primals, tangents):
    # TF's CumprodGrad: div_no_nan(cumsum(prod * g, reverse=not reverse), x), so an input
    # of 0 gets 0 where jax's exact derivative gives the product of the other factors.
    # Its transpose, as a tangent: prod * cumsum(div_no_nan(t, x)), the same scan flags.
    (x,), (t,) = primals, tangents
    prod = _cumprod_tf(x, axis, exclusive, reverse)
    zero = x == 0
    ratio = jnp.where(zero, jnp.zeros_like(t), t / jnp.where(zero, jnp.ones_like(x), x))
    return prod, prod * _scan(lax.cumsum, 0, ratio, axis, exclusive, reverse)


def _arg_shape(specs, attrs, static_values) -> list[Spec]:
    shape, axis = specs[0].shape, static_values[1]
    dtype = np.dtype(attrs["output_type"])
    if shape is None or axis is None:
        return [Spec(None, dtype)]
    a = _arg_axis(axis, max(len(shape), 1))
    return [Spec(shape[:a] + shape[a + 1 :], dtype)]


def _arg_axis(axis, rank: int) -> int:
    a = int(np.asarray(axis).reshape(()))
    if not -rank <= a < rank:
        raise ValueError(
            f"Dimension ({a}) must be in the range [{-rank}, {rank}), where {rank} is the "
            "number of dimensions in the input."
        )
    return a % rank


def _arg_reducer(arg: Callable) -> Callable:
    def kernel(input, dimension, *, output_type: np.dtype):
        a = _scan_axis(dimension, max(input.ndim, 1), "dimension")  # TF's run-time text
        if input.ndim and input.shape[a] == 0:
            raise ValueError(f"Reduction axis {a} is empty in shape {list(input.shape)}")
        return arg(input, axis=a if input.ndim else None).astype(output_type)

    return kernel


register("ArgMax", static=("dimension",), shape=_arg_shape)(_arg_reducer(jnp.argmax))
register("ArgMin", static=("dimension",), shape=_arg_shape)(_arg_reducer(jnp.argmin))


# -- segment reductions ----------------------------------------------------------------------


def _sorted_segment_rows(ids: np.ndarray, rows: int | None) -> int:
    """The output row count of a sorted segment op: the last id + 1 (0 for no ids); TF's
    checks of the ids (InvalidArgumentError), in the order its kernel makes them."""
    if ids.ndim != 1:
        raise InvalidArgumentError(None, None, "segment_ids should be a vector.")
    if rows is not None and rows != ids.shape[0]:
        raise InvalidArgumentError(
            None, None, "segment_ids should be the same size as dimension 0 of input."
        )
    n = int(ids[-1]) + 1 if ids.size else 0
    if n < 0:
        raise InvalidArgumentError(None, None, "segment ids must be >= 0")
    # Segment by segment: does the next id grow, then is this one within [0, n)?
    firsts = ids[np.r_[0, np.flatnonzero(np.diff(ids)) + 1]] if ids.size else ids
    falls = np.r_[firsts[1:] < firsts[:-1], False]
    bad = np.flatnonzero(falls | (firsts < 0) | (firsts >= n))
    if bad.size and falls[bad[0]]:
        raise InvalidArgumentError(None, None, "segment ids are not increasing")
    if bad.size:
        raise InvalidArgumentError(
            None,
            None,
            f"Segment id {firsts[bad[0]]} out of range [0, {n}), possibly because "
            "'segment_ids' input is not sorted.",
        )
    return n


def _sorted_segment_shape(specs, attrs, static_values) -> list[Spec]:
    # TF's SegmentReductionShapeFn: the row count stays unknown, even for constant ids (the
    # kernel knows it: the ids are a static input).
    data, ids = specs[0].shape, specs[1].shape
    if ids is not None and len(ids) != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {len(ids)}")
    if data is None:
        return [Spec(None, specs[0].dtype)]
    if not data:
        raise ValueError("Shape must be at least rank 1 but is rank 0")
    return [Spec((None,) + data[1:], specs[0].dtype)]


def _sorted_segment(reduce: Callable) -> Callable:
    # The ids are a static input: the row count (last id + 1) shapes the output, which XLA
    # must know when it compiles; fed ids specialise the compiled segment.
    def kernel(data, segment_ids):
        if data.ndim == 0:
            raise ValueError("Shape must be at least rank 1 but is rank 0")
        ids = np.asarray(segment_ids)
        n = _sorted_segment_rows(ids, data.shape[0])
        counts = np.bincount(ids, minlength=n).reshape((n,) + (1,) * (data.ndim - 1))
        return reduce(data, jnp.asarray(ids), n, counts)

    return kernel


def _segment_sum(data, ids, n, counts):
    return jax.ops.segment_sum(data, ids, n, indices_are_sorted=True)


def _segment_mean(data, ids, n, counts):
    total = _segment_sum(data, ids, n, counts)
    count = np.maximum(counts, 1).astype(data.dtype)
    if jnp.issubdtype(data.dtype, jnp.integer):
        return lax.div(total, jnp.asarray(count))
    return total / count


def _segment_max(data, ids, n, counts):
    # Empty segments give 0, as TF's SegmentMax does.
    return jnp.where(counts > 0, jax.ops.segment_max(data, ids, n, indices_are_sorted=True), 0)


def _segment_min(data, ids, n, counts):
    return jnp.where(counts > 0, jax.ops.segment_min(data, ids, n, indices_are_sorted=True), 0)


def _segment_prod(data, ids, n, counts):
    return _differentiable_segment_prod(data, ids, num_segments=n, mode="drop")


def _differentiable_segment_prod(data, ids, num_segments: int, mode: str):
    """jax.ops.segment_prod, by a segmented scan: jax has no gradient for scatter_mul."""
    n, m, data = num_segments, ids.shape[0], jnp.asarray(data)
    ids = jnp.where((ids >= 0) & (ids < n), ids, n)  # out-of-range ids are dropped
    order = jnp.argsort(ids, stable=True)
    ids, data = ids[order], data[order]
    if m == 0:
        return jnp.ones((n,) + data.shape[1:], data.dtype)
    trailing = (1,) * (data.ndim - 1)
    change = ids[1:] != ids[:-1]
    first = jnp.concatenate([jnp.ones((1,), bool), change]).reshape((m,) + trailing)
    last = jnp.concatenate([change, jnp.ones((1,), bool)]).reshape((m,) + trailing)

    def combine(a, b):
        return a[0] | b[0], jnp.where(b[0], b[1], a[1] * b[1])

    _, running = lax.associative_scan(combine, (jnp.broadcast_to(first, data.shape), data))
    out = jax.ops.segment_sum(jnp.where(last, running, 0), ids, n, mode="drop")
    count = jax.ops.segment_sum(jnp.ones((m,), jnp.int32), ids, n, mode="drop")
    return jnp.where(count.reshape((n,) + trailing) > 0, out, jnp.ones((), data.dtype))


for _op_type, _fn in {
    "SegmentSum": _segment_sum,
    "SegmentMean": _segment_mean,
    "SegmentMax": _segment_max,
    "SegmentMin": _segment_min,
    "SegmentProd": _segment_prod,
}.items():
    register(_op_type, static=("segment_ids",), shape=_sorted_segment_shape)(_sorted_segment(_fn))


def _unsorted_segment(reduce: Callable) -> Callable:
    def kernel(data, segment_ids, num_segments):
        n = int(np.asarray(num_segments))
        flat_ids = segment_ids.reshape(-1)
        flat_data = data.reshape((flat_ids.shape[0],) + data.shape[segment_ids.ndim :])
        # Ids outside [0, n) are dropped; empty segments get the reduction's identity.
        return reduce(flat_data, flat_ids, num_segments=n, mode="drop")

    return kernel


def _unsorted_extreme(reduce: Callable, low: bool) -> Callable:
    # TF fills an empty segment with numeric_limits<T>::lowest() (max) or max() (min): the
    # finite extremes for floats, where jax gives -inf / inf.
    def fn(data, ids, num_segments, mode):
        out = reduce(data, ids, num_segments=num_segments, mode=mode)
        if not jnp.issubdtype(data.dtype, jnp.floating):
            return out
        count = jax.ops.segment_sum(jnp.ones(ids.shape, jnp.int32), ids, num_segments, mode=mode)
        info = jnp.finfo(data.dtype)
        count = count.reshape(count.shape + (1,) * (data.ndim - 1))
        return jnp.where(count > 0, out, info.min if low else info.max)

    return fn


for _op_type, _fn in {
    "UnsortedSegmentMax": _unsorted_extreme(jax.ops.segment_max, low=True),
    "UnsortedSegmentMin": _unsorted_extreme(jax.ops.segment_min, low=False),
    "UnsortedSegmentProd": _differentiable_segment_prod,
}.items():
    register(_op_type, static=("num_segments",), shape=_segment_sum_shape)(_unsorted_segment(_fn))
del _op_type, _fn


# -- Bincount (host: the output length depends on the values) --------------------------------


def _bincount_shape(specs, attrs, static_values):
    return [Spec((None,), specs[2].dtype)]


@register("Bincount", kind="host", shape=_bincount_shape)
def bincount(arr, size, weights):
    arr, size, weights = np.asarray(arr), int(np.asarray(size)), np.asarray(weights)
    if size < 0:
        raise ValueError(f"size ({size}) must be non-negative")
    if arr.size and arr.min() < 0:
        raise ValueError("Input arr must be non-negative!")
    if weights.size and weights.shape != arr.shape:
        raise ValueError(
            f"If weights are passed, they must have the same shape ({list(weights.shape)}) "
            f"as arr ({list(arr.shape)})"
        )
    keep = arr.reshape(-1) < size
    w = weights.reshape(-1)[keep] if weights.size else None
    out = np.bincount(arr.reshape(-1)[keep], weights=w, minlength=size)[:size]
    return out.astype(weights.dtype)


# -- Quantization ------------------------------------------------------------------------------


def _int_of(qdtype) -> np.dtype:
    """The plain integer dtype under a quantized one (qint8 -> int8)."""
    qdtype = np.dtype(qdtype)
    return qdtype.fields[qdtype.names[0]][0] if qdtype.names else qdtype


def _round_half_away(x):
    return jnp.sign(x) * jnp.floor(jnp.abs(x) + 0.5)


def _quantize_shape(specs, attrs, static_values):
    scalar = Spec((), np.dtype(np.float32))
    return [Spec(specs[0].shape, np.dtype(attrs["T"])), scalar, scalar]


@register("QuantizeV2", shape=_quantize_shape)
def quantize_v2(input, min_range, max_range, *, T, mode: str, round_mode: str):
    it = np.iinfo(_int_of(T))
    f32 = jnp.float32
    x, lo, hi = input.astype(f32), min_range.astype(f32), max_range.astype(f32)
    # TF widens a too-narrow range and makes it include 0.
    min_r = jnp.minimum(f32(0), lo)
    eps = jnp.maximum(f32(1), jnp.maximum(jnp.abs(lo), jnp.abs(hi))) / f32(100)
    max_r = jnp.maximum(f32(0), jnp.maximum(hi, min_r + eps))
    if mode == "MIN_COMBINED":
        scale = (f32(float(it.max) - float(it.min)) / (max_r - min_r)).astype(f32)
        shifted = (jnp.clip(x, min_r, max_r) - min_r) * scale
        if it.min < 0:
            half = f32((float(it.max) - float(it.min) + 1) / 2)
            q = _round_half_away(shifted - half)
        else:
            q = jnp.floor(shifted + f32(0.5))
    elif mode == "MIN_FIRST":
        steps = float(2**it.bits)
        range_scale = jnp.where(max_r == min_r, f32(0), f32(steps - 1) / (max_r - min_r))
        min_scaled = _round_half_away(min_r * range_scale)
        q = _round_half_away(x * range_scale) - (min_scaled - f32(it.min))
        q = jnp.clip(q, max(float(it.min), -2.147483648e09), min(float(it.max), 2.147483520e09))
    else:  # SCALED
        big = f32(np.finfo(np.float32).max)
        from_min = jnp.where(it.min * min_r > 0, f32(it.min) / min_r, big)
        from_max = jnp.where(it.max * max_r > 0, f32(it.max) / max_r, big)
        scale = jnp.minimum(from_min, from_max)
        min_r, max_r = f32(it.min) / scale, f32(it.max) / scale
        y = jnp.clip(x, min_r, max_r) * scale
        q = jnp.round(y) if round_mode == "HALF_TO_EVEN" else _round_half_away(y)
    return q.astype(jnp.int64).astype(_int_of(T)), min_r, max_r


@register(
    "Dequantize",
    shape=lambda specs, attrs, static_values: [Spec(specs[0].shape, np.dtype(np.float32))],
)
def dequantize(input, min_range, max_range, *, mode: str):
    it = np.iinfo(input.dtype)
    f32 = jnp.float32
    x, lo, hi = input.astype(f32), min_range.astype(f32), max_range.astype(f32)
    if mode == "MIN_COMBINED":
        scale = (hi - lo) / f32(float(it.max) - float(it.min))
        half = f32((float(it.max) - float(it.min) + 1) / 2) if it.min < 0 else f32(0)
        return (x + half) * scale + lo
    if mode == "MIN_FIRST":
        steps = float(2**it.bits)
        return (x - f32(it.min)) * ((hi - lo) / f32(steps - 1)) + lo
    if it.min == 0:
        return x * (hi / f32(it.max))
    return x * jnp.maximum(lo / f32(it.min), hi / f32(it.max))


def fake_quant_nudge(min: float, max: float, num_bits: int, narrow_range: bool):
    """TF's nudged (min, max, scale): the float range moved so that 0 is exactly
    representable (fake_quant_ops_functor.h, in float32)."""
    f32 = np.float32
    quant_min, quant_max = f32(1 if narrow_range else 0), f32((1 << num_bits) - 1)
    scale = (f32(max) - f32(min)) / (quant_max - quant_min)
    zero_point = quant_min - f32(min) / scale
    if zero_point < quant_min:
        nudged_zero = quant_min
    elif zero_point > quant_max:
        nudged_zero = quant_max
    else:
        nudged_zero = f32(np.sign(zero_point) * np.floor(np.abs(zero_point) + f32(0.5)))
    return (quant_min - nudged_zero) * scale, (quant_max - nudged_zero) * scale, scale


@register("FakeQuantWithMinMaxArgs", shape=same_as_first)
def fake_quant_with_min_max_args(
    inputs, *, min: float, max: float, num_bits: int, narrow_range: bool
):
    lo, hi, scale = fake_quant_nudge(min, max, num_bits, narrow_range)
    clamped = jnp.clip(inputs, lo, hi)
    q = jnp.floor((clamped - lo) * (np.float32(1) / scale) + 0.5) * scale + lo
    inside = (inputs >= lo) & (inputs <= hi)
    # Straight through inside [nudged_min, nudged_max], as TF's gradient op: (for the VJP).
    return jnp.where(inside, inputs + lax.stop_gradient(q - inputs), lax.stop_gradient(q))


@register(
    "FakeQuantWithMinMaxArgsGradient",
    shape=lambda specs, attrs, static_values: [
        Spec(merge_shapes([specs[0].shape, specs[1].shape]), specs[0].dtype)
    ],
)
def fake_quant_with_min_max_args_gradient(
    gradients, inputs, *, min: float, max: float, num_bits: int, narrow_range: bool
):
    lo, hi, _ = fake_quant_nudge(min, max, num_bits, narrow_range)
    return jnp.where((inputs >= lo) & (inputs <= hi), gradients, jnp.zeros_like(gradients))
