"""Math kernels: elementwise arithmetic, comparisons, logic, casts, matmul, reductions."""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from kernels.registry import register
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
    return x / y


def floor_div(x, y):
    return jnp.floor_divide(x, y)


def floor_mod(x, y):
    return jnp.mod(x, y)


def pow_(x, y):
    return jnp.power(x, y)


def maximum(x, y):
    return jnp.maximum(x, y)


def minimum(x, y):
    return jnp.minimum(x, y)


def squared_difference(x, y):
    return jnp.square(x - y)


def logical_and(x, y):
    return jnp.logical_and(x, y)


def logical_or(x, y):
    return jnp.logical_or(x, y)


_register_table(
    {
        "Add": add, "AddV2": add, "Sub": sub, "Mul": mul, "RealDiv": real_div,
        "FloorDiv": floor_div, "FloorMod": floor_mod, "Pow": pow_, "Maximum": maximum,
        "Minimum": minimum, "SquaredDifference": squared_difference,
        "LogicalAnd": logical_and, "LogicalOr": logical_or,
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
        "Equal": equal, "NotEqual": not_equal, "Less": less, "LessEqual": less_equal,
        "Greater": greater, "GreaterEqual": greater_equal,
    },
    broadcast_to_bool,
)

def _unary(f: Callable) -> Callable:
    def kernel(x):
        return f(x)

    return kernel


_register_table(
    {
        op_type: _unary(f)
        for op_type, f in {
        "Neg": jnp.negative, "Abs": jnp.abs, "Sign": jnp.sign, "Square": jnp.square,
        "Sqrt": jnp.sqrt, "Rsqrt": lax.rsqrt, "Exp": jnp.exp, "Expm1": jnp.expm1,
        "Log": jnp.log, "Log1p": jnp.log1p, "Sin": jnp.sin, "Cos": jnp.cos, "Tan": jnp.tan,
        "Tanh": jnp.tanh, "Sigmoid": jax.nn.sigmoid, "Floor": jnp.floor, "Ceil": jnp.ceil,
        "Reciprocal": jnp.reciprocal, "LogicalNot": jnp.logical_not,
        }.items()
    },
    same_as_first,
)


def _cast_shape(specs, attrs, static_values):
    return [specs[0]._replace(dtype=attrs["DstT"])]


@register("Cast", shape=_cast_shape)
def cast(x, *, DstT: np.dtype, Truncate: bool = False):
    return x.astype(DstT)


@register("AddN", shape=lambda specs, attrs, static_values: [specs[0]])
def add_n(*inputs):
    total = inputs[0]
    for x in inputs[1:]:
        total = total + x
    return total


# float32 matmuls run at full precision on every backend (no TF32), as TF1 did.
_PRECISION = lax.Precision.HIGHEST


@register("MatMul")
def mat_mul(a, b, *, transpose_a: bool = False, transpose_b: bool = False):
    a = a.T if transpose_a else a
    b = b.T if transpose_b else b
    return jnp.matmul(a, b, precision=_PRECISION)


@register("BatchMatMulV2")
def batch_mat_mul_v2(x, y, *, adj_x: bool = False, adj_y: bool = False):
    x = jnp.conj(jnp.swapaxes(x, -1, -2)) if adj_x else x
    y = jnp.conj(jnp.swapaxes(y, -1, -2)) if adj_y else y
    return jnp.matmul(x, y, precision=_PRECISION)


def _axes(reduction_indices, rank: int) -> tuple[int, ...]:
    return tuple(int(a) % rank if rank else 0
                 for a in np.atleast_1d(np.asarray(reduction_indices)).tolist())


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
    return jnp.max(x, axis=axes, keepdims=keepdims, initial=None)


def _min(x, axes, keepdims):
    return jnp.min(x, axis=axes, keepdims=keepdims)


def _all(x, axes, keepdims):
    return jnp.all(x, axis=axes, keepdims=keepdims)


def _any(x, axes, keepdims):
    return jnp.any(x, axis=axes, keepdims=keepdims)


for _op_type, _fn in {"Sum": _sum, "Mean": _mean, "Prod": _prod, "Max": _max, "Min": _min,
                      "All": _all, "Any": _any}.items():
    register(_op_type, static=("reduction_indices",), shape=reduction)(_reducer(_fn))
