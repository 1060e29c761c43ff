"""Math kernels: elementwise arithmetic, comparisons, logic, casts, matmul, reductions."""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels.array import merge_shapes
from kernels.registry import Spec, register
from kernels.shapes import broadcast, broadcast_to_bool, reduction, same_as_first


def _register_table(table: dict[str, Callable], shape: Callable) -> None:
    for op_type, fn in table.items():
        register(op_type, shape=shape)(fn)


def add(x, y):
    return x + y


def sub(x, y):
    return x - y


def mul(x, y):
    return x * y


def real_div(x, y):
    if jnp.issubdtype(x.dtype, jnp.integer):
        return lax.div(x, y)  # C's integer division (toward zero), keeping the dtype as TF does
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
    x, y = primals
    tx, ty = tangents
    z = jnp.power(x, y)
    positive = x != 0 if jnp.iscomplexobj(x) else x > 0
    log_x = jnp.where(positive, jnp.log(jnp.where(positive, x, 1)), 0)
    return z, y * jnp.power(x, y - 1) * tx + z * log_x * ty


def maximum(x, y):
    return jnp.maximum(x, y)


def minimum(x, y):
    return jnp.minimum(x, y)


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
            "Abs": jnp.abs,
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
    shape = merge_shapes((s.shape for s in specs), "shapes of the inputs")
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
    a = a.T if transpose_a else a
    b = b.T if transpose_b else b
    return jnp.matmul(a, b, precision=_PRECISION)


@register("BatchMatMulV2")
def batch_mat_mul_v2(x, y, *, adj_x: bool = False, adj_y: bool = False):
    for i, v in enumerate((x, y)):
        if v.ndim < 2:
            raise ValueError(f"In[{i}] ndims must be >= 2: {v.ndim}")
    x = jnp.conj(jnp.swapaxes(x, -1, -2)) if adj_x else x
    y = jnp.conj(jnp.swapaxes(y, -1, -2)) if adj_y else y
    return jnp.matmul(x, y, precision=_PRECISION)


def _axes(reduction_indices, rank: int) -> tuple[int, ...]:
    # Axes may come fed at run time, so they are checked here as well as at build time.
    axes = set()
    for a in np.asarray(reduction_indices).reshape(-1).tolist():
        if not -rank <= a < max(rank, 1):
            raise ValueError(f"Invalid reduction dimension {a} for input with {rank} dimensions")
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
    # The initial value makes an empty reduction give TF's identity (-inf, the lowest int).
    return jnp.max(x, axis=axes, keepdims=keepdims, initial=_extreme(x.dtype, low=True))


def _min(x, axes, keepdims):
    return jnp.min(x, axis=axes, keepdims=keepdims, initial=_extreme(x.dtype, low=False))


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
    return [Spec((rows,) + data[len(ids):], specs[0].dtype)]


@register("UnsortedSegmentSum", static=("num_segments",), shape=_segment_sum_shape)
def unsorted_segment_sum(data, segment_ids, num_segments):
    n = int(np.asarray(num_segments))
    flat_ids = segment_ids.reshape(-1)
    flat_data = data.reshape((flat_ids.shape[0],) + data.shape[segment_ids.ndim:])
    # Ids outside [0, n) are dropped, as TF does.
    return jax.ops.segment_sum(flat_data, flat_ids, num_segments=n, mode="drop")
