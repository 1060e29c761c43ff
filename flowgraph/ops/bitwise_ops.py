"""`tf.bitwise`: bitwise and, or, xor, invert and shifts of integer tensors."""

from __future__ import annotations

from flowgraph.framework import dtypes
from flowgraph.framework.ops import Tensor
from flowgraph.ops import math_ops
from flowgraph.ops.gradients import no_gradient

_INTEGERS = (
    dtypes.int8,
    dtypes.int16,
    dtypes.int32,
    dtypes.int64,
    dtypes.uint8,
    dtypes.uint16,
    dtypes.uint32,
    dtypes.uint64,
)
_OPS = (
    "BitwiseAnd",
    "BitwiseOr",
    "BitwiseXor",
    "Invert",
    "LeftShift",
    "RightShift",
    "PopulationCount",
)
for _op_type in _OPS:
    no_gradient(_op_type)  # integer inputs and outputs
del _op_type


def _binary_fn(op_type: str, doc: str):
    def fn(x, y, name=None) -> Tensor:
        return math_ops._binary(op_type, x, y, name, _INTEGERS)

    fn.__doc__ = doc
    return fn


bitwise_and = _binary_fn("BitwiseAnd", "x & y elementwise, with broadcasting.")
bitwise_or = _binary_fn("BitwiseOr", "x | y elementwise, with broadcasting.")
bitwise_xor = _binary_fn("BitwiseXor", "x ^ y elementwise, with broadcasting.")
left_shift = _binary_fn("LeftShift", "x << y elementwise (y outside [0, bits) is undefined).")
right_shift = _binary_fn(
    "RightShift", "x >> y elementwise: arithmetic for signed types, logical for unsigned."
)


def invert(x, name=None) -> Tensor:
    """~x elementwise: every bit flipped."""
    return math_ops._unary("Invert", x, name, _INTEGERS)


def population_count(x, name=None) -> Tensor:
    """The number of set bits of each element, as uint8 (`tf.raw_ops.PopulationCount`)."""
    return math_ops._unary("PopulationCount", x, name, _INTEGERS)
