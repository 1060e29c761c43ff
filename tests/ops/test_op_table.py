"""One table row per op constructor: forward values against numpy and inferred shapes."""

from __future__ import annotations

import importlib
import pathlib
import zlib
from typing import Callable, NamedTuple

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import array_ops, math_ops
from kernels import registry

B = "B"  # the batch dim: 4 when shapes are known; unknown (fed as 3) when partial


class In(NamedTuple):
    """One input of a row: shape (B marks the batch dim), dtype and range of random values."""

    shape: tuple
    dtype: type
    low: float = -2.0
    high: float = 2.0
    nonzero: bool = False


def f32(*shape, low=-2.0, high=2.0) -> In:
    return In(shape, np.float32, low, high)


def i32(*shape, low=-9, high=10, nonzero=False) -> In:
    return In(shape, np.int32, low, high, nonzero)


def c64(*shape) -> In:
    return In(shape, np.complex64)


def bools(*shape) -> In:
    return In(shape, np.bool_)


def strs(*shape) -> In:
    return In(shape, object)


class Row(NamedTuple):
    """An op constructor, its numpy reference and its inputs."""

    op_type: str  # the op type the constructor must create
    build: Callable  # input tensors -> output tensor (or Operation)
    ref: Callable | None  # input arrays -> expected output (None for an Operation)
    inputs: tuple[In, ...]
    dtype: type | None  # the output dtype; None: the first input's
    partial: tuple | None  # the shape inferred with B unknown where TF1 knows less than the
    #                        values show; None: each dim that does not vary with B is known
    by_value: bool  # the output shape depends on input values: fully known only from constants
    id: str  # tells rows of one op type apart
    known: tuple | None = None  # the shape inferred from known inputs (B=4) where TF's shape
    #                             function leaves dims unknown; None: fully known


def row(
    op_type, build, ref, *inputs, dtype=None, partial=None, by_value=False, id="", known=None
) -> Row:
    return Row(op_type, build, ref, inputs, dtype, partial, by_value, id, known)


def _as_strings(fmt: str) -> Callable:
    return lambda x: np.vectorize(lambda v: (fmt % v).encode(), otypes=[object])(x)


def _join(sep: bytes) -> Callable:
    return lambda *xs: np.asarray(np.frompyfunc(lambda *a: sep.join(a), len(xs), 1)(*xs),
                                  dtype=object)


def _int_mean(x, axis=None, keepdims=False):
    # TF divides the integer sum by the count, truncating toward zero.
    n = x.size // np.sum(x, axis=axis, keepdims=keepdims).size
    return np.fix(np.sum(x, axis=axis, keepdims=keepdims, dtype=np.int64) / n).astype(x.dtype)


def _tdot(a, b):
    return np.swapaxes(a, -1, -2) @ b


ROWS = [
    # Array ops.
    row("Const", lambda: tf.constant([[1.5, 2.0]]), lambda: np.array([[1.5, 2.0]], np.float32)),
    row("Placeholder", lambda x: x, lambda x: x, f32(B, 3)),
    row("PlaceholderWithDefault", lambda x: tf.placeholder_with_default(x, x.shape),
        lambda x: x, f32(B, 3)),
    row("Identity", tf.identity, lambda x: x, i32(B, 3)),
    row("Reshape", lambda x: tf.reshape(x, [-1]), lambda x: x.reshape(-1), f32(B, 3)),
    row("Reshape", lambda x: tf.reshape(x, [3, -1]), lambda x: x.reshape(3, -1), f32(B, 3)),
    row("Reshape", lambda x: tf.reshape(x, [-1, 1, 3]), lambda x: x.reshape(-1, 1, 3),
        f32(B, 3), id="new-axis"),
    # The target is computed from tf.shape: TF sees through the Pack (constant_value_as_shape).
    row("Reshape", lambda x: tf.reshape(x, [tf.shape(x)[1], -1]), lambda x: x.reshape(3, -1),
        f32(B, 3), partial=(3, None), id="from-tf.shape"),
    row("Shape", tf.shape, lambda x: np.array(x.shape, np.int32), f32(B, 3), dtype=np.int32),
    row("Shape", lambda x: tf.shape(x, out_type=tf.int64), lambda x: np.array(x.shape),
        bools(B, 2, 3), dtype=np.int64, id="int64"),
    row("Size", tf.size, lambda x: np.int32(x.size), f32(B, 3), dtype=np.int32),
    row("Rank", tf.rank, lambda x: np.int32(x.ndim), strs(B, 3), dtype=np.int32),
    row("ExpandDims", lambda x: tf.expand_dims(x, 0), lambda x: x[None], f32(B, 3)),
    row("ExpandDims", lambda x: tf.expand_dims(x, -1), lambda x: x[..., None], i32(B, 3),
        id="negative"),
    row("ExpandDims", lambda x: tf.expand_dims(x, dim=1), lambda x: x[:, None], f32(B, 3),
        id="dim"),
    row("Range", tf.range, lambda n: np.arange(n, dtype=np.int32), i32(low=0, high=6),
        by_value=True),
    row("Range", lambda n: tf.range(n, -3, -2), lambda n: np.arange(n, -3, -2, dtype=np.int32),
        i32(low=0, high=6), by_value=True, id="down"),
    row("Pack", lambda x, y: tf.stack([x, y]), lambda x, y: np.stack([x, y]),
        f32(B, 3), f32(B, 3)),
    row("Pack", lambda x, y: tf.stack([x, y], axis=1), lambda x, y: np.stack([x, y], 1),
        i32(B, 3), i32(B, 3), id="axis1"),
    row("Pack", lambda x, y: tf.stack([x, y], axis=-1), lambda x, y: np.stack([x, y], -1),
        f32(B, 3), f32(B, 3), id="axis-1"),
    row("Pack", lambda x, y: tf.stack([x, y, 7]), lambda x, y: np.stack([x, y, 7]).astype(x.dtype),
        i32(), i32(), id="scalars"),
    row("Pack", lambda x, y: tf.stack([x, y], 1), lambda x, y: np.stack([x, y], 1),
        strs(B, 3), strs(B, 3), id="strings"),
    row("Transpose", array_ops.transpose, np.transpose, f32(B, 3)),
    row("Transpose", lambda x: array_ops.transpose(x, [1, 2, 0]),
        lambda x: np.transpose(x, [1, 2, 0]), i32(B, 2, 3), id="perm"),
    row("Transpose", lambda x: array_ops.transpose(x, [1, 0]), np.transpose, strs(B, 3),
        id="strings"),
    row("StridedSlice", lambda x: x[1:, ::-1], lambda x: x[1:, ::-1], f32(B, 3)),
    row("StridedSlice", lambda x: x[:, 1], lambda x: x[:, 1], i32(B, 3), id="shrink"),
    row("StridedSlice", lambda x: x[..., tf.newaxis, :2], lambda x: x[..., None, :2],
        f32(B, 3), id="newaxis"),
    row("Fill", lambda x: tf.fill([2, 3], x), lambda x: np.full((2, 3), x), f32()),
    # TF knows (?, 3) here through constant_value_as_shape, and so does flowgraph.
    row("Fill", lambda x: tf.fill(tf.shape(x), 7), lambda x: np.full(x.shape, 7, np.int32),
        f32(B, 3), dtype=np.int32, partial=(None, 3), id="dims-from-shape"),
    row("ZerosLike", lambda x: tf.zeros_like(x, optimize=False), np.zeros_like, f32(B, 3)),
    row("ZerosLike", lambda x: tf.zeros_like(x, optimize=False), lambda x: np.full(
        x.shape, b"", dtype=object), strs(B, 2), id="strings"),
    row("OnesLike", lambda x: tf.ones_like(x, optimize=False), np.ones_like, i32(B, 3)),
    row("Select", tf.where, np.where, bools(B, 3), f32(B, 3), f32(B, 3), dtype=np.float32),
    row("Select", tf.where, lambda c, x, y: np.where(c[:, None], x, y), bools(B), i32(B, 3),
        i32(B, 3), dtype=np.int32, id="row-vector"),
    row("GatherV2", lambda x: tf.gather(x, [1, 0, 1]), lambda x: x[[1, 0, 1]], f32(B, 3)),
    row("GatherV2", lambda x, i: tf.gather(x, i, axis=1), lambda x, i: np.take(x, i, axis=1),
        f32(B, 3), i32(2, low=0, high=3), id="axis1-fed"),
    row("GatherV2", lambda x: tf.gather(x, [1, 0]), lambda x: x[[1, 0]], strs(B, 2),
        id="strings"),
    row("Squeeze", tf.squeeze, np.squeeze, f32(1, 3, 1)),
    row("Squeeze", lambda x: tf.squeeze(x, [2]), lambda x: np.squeeze(x, 2), f32(B, 3, 1),
        id="axis"),
    row("ConcatV2", lambda x, y: tf.concat([x, y], 0), lambda x, y: np.concatenate([x, y]),
        f32(B, 3), f32(2, 3), partial=(None, 3)),
    row("ConcatV2", lambda x, y: tf.concat([x, y], -1), lambda x, y: np.concatenate([x, y], -1),
        i32(B, 3), i32(B, 2), id="axis-1"),
    row("ConcatV2", lambda x, y: tf.concat([x, y], 1), lambda x, y: np.concatenate([x, y], 1),
        strs(B, 1), strs(B, 2), id="strings"),
    row("IdentityN", lambda x, y: tf.identity_n([x, y])[1], lambda x, y: y, f32(B, 3), i32(2),
        dtype=np.int32),
    row("StopGradient", tf.stop_gradient, lambda x: x, f32(B, 3)),
    row("UnsortedSegmentSum", lambda x, i: tf.unsorted_segment_sum(x, i, 3),
        lambda x, i: np.stack([x[i == k].sum(0) for k in range(3)]), f32(5, 2),
        i32(5, low=0, high=3)),
    # Neural-network ops.
    row("Relu", tf.nn.relu, lambda x: np.maximum(x, 0), f32(B, 3)),
    row("Relu6", tf.nn.relu6, lambda x: np.clip(x, 0, 6), f32(B, 3, low=-3, high=9)),
    row("Elu", tf.nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)), f32(B, 3)),
    row("Selu", tf.nn.selu, lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(x)), f32(B, 3)),
    row("Softplus", tf.nn.softplus, lambda x: np.log1p(np.exp(x)), f32(B, 3)),
    row("Softsign", tf.nn.softsign, lambda x: x / (1 + np.abs(x)), f32(B, 3)),
    row("LeakyRelu", lambda x: tf.nn.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x),
        f32(B, 3)),
    row("Softmax", tf.nn.softmax, lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
        f32(B, 3)),
    row("Softmax", lambda x: tf.nn.softmax(x, axis=0),
        lambda x: np.exp(x) / np.exp(x).sum(0, keepdims=True), f32(B, 3), id="axis0"),
    row("LogSoftmax", tf.nn.log_softmax,
        lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)), f32(B, 3)),
    row("BiasAdd", tf.nn.bias_add, lambda x, b: x + b, f32(B, 3), f32(3)),
    row("BiasAdd", lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"),
        lambda x, b: x + b[:, None, None], f32(B, 3, 2, 2), f32(3), id="NCHW"),
    row("L2Loss", tf.nn.l2_loss, lambda x: np.float32((x ** 2).sum() / 2), f32(B, 3)),
    row("SoftmaxCrossEntropyWithLogits",
        lambda x, p: tf.nn.softmax_cross_entropy_with_logits_v2(labels=p, logits=x),
        lambda x, p: -(p * (x - np.log(np.exp(x).sum(-1, keepdims=True)))).sum(-1),
        f32(B, 3), f32(B, 3, low=0.0, high=1.0)),
    row("SparseSoftmaxCrossEntropyWithLogits",
        lambda x, i: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=i, logits=x),
        lambda x, i: -(x - np.log(np.exp(x).sum(-1, keepdims=True)))[np.arange(len(i)), i],
        f32(B, 3), i32(B, low=0, high=3)),
    # Elementwise binary ops, with broadcasting.
    row("Add", tf.add, np.add, f32(B, 3), f32(B, 3)),
    row("AddV2", lambda x, y: x + y, np.add, f32(B, 1), f32(1, 3), id="operator-broadcast"),
    row("AddV2", lambda x: 2 + x, lambda x: 2 + x, i32(B, 3), id="radd"),
    row("Add", lambda x, y: x + y, np.add, strs(B, 3), strs(3), id="operator-strings"),
    row("Add", tf.add, np.add, strs(B, 3), strs(3), id="strings"),
    row("AddV2", math_ops.add_v2, np.add, f32(B, 3), f32(3)),
    row("Sub", tf.subtract, np.subtract, f32(B, 3), f32(B, 3)),
    row("Sub", lambda x: 1 - x, lambda x: 1 - x, f32(B, 3), id="rsub"),
    row("Mul", tf.multiply, np.multiply, i32(B, 3), i32(3)),
    row("Mul", lambda x: x * 0.5, lambda x: x * np.float32(0.5), f32(B, 3), id="operator"),
    row("RealDiv", tf.realdiv, np.divide, f32(B, 3), f32(B, 3, low=0.5)),
    row("RealDiv", tf.div, np.divide, f32(B, 3), f32(B, 3, low=0.5), id="div"),
    row("RealDiv", lambda x, y: x / y, np.divide, f32(B, 3), f32(3, low=0.5), id="operator"),
    # truediv of int32 casts both to float64 (TF1's _TRUEDIV_TABLE).
    row("RealDiv", tf.truediv, np.divide, i32(B, 3), i32(B, 3, nonzero=True), dtype=np.float64,
        id="truediv-int32"),
    row("RealDiv", tf.divide, np.divide, f32(B, 3), f32(B, 3, low=0.5), id="divide"),
    # TF's integer RealDiv (the C++ Div functor) truncates toward zero and keeps the dtype.
    row("RealDiv", tf.realdiv, lambda x, y: np.fix(x / y).astype(np.int32), i32(B, 3),
        i32(B, 3, nonzero=True), id="int32"),
    row("FloorDiv", tf.floordiv, np.floor_divide, i32(B, 3), i32(B, 3, nonzero=True)),
    row("FloorDiv", tf.div, np.floor_divide, i32(B, 3), i32(3, nonzero=True), id="div-int32"),
    row("FloorDiv", lambda x, y: x // y, lambda x, y: np.floor(x / y), f32(B, 3),
        f32(B, 3, low=0.5), id="operator"),
    row("FloorMod", tf.mod, np.mod, i32(B, 3), i32(B, 3, nonzero=True)),
    row("FloorMod", lambda x, y: x % y, np.mod, f32(B, 3), f32(3, low=0.5), id="operator"),
    row("Pow", tf.pow, np.power, f32(B, 3, low=0.5), f32(B, 3)),
    row("Pow", lambda x: x**3, lambda x: x**3, i32(B, 3), id="operator-int32"),
    row("Maximum", tf.maximum, np.maximum, f32(B, 3), f32(B, 3)),
    row("Maximum", tf.maximum, np.maximum, i32(B, 3), i32(), id="int32"),
    row("Minimum", tf.minimum, np.minimum, f32(B, 3), f32(3)),
    row("SquaredDifference", tf.squared_difference, lambda x, y: np.square(x - y),
        f32(B, 3), f32(B, 3)),
    row("SquaredDifference", tf.squared_difference, lambda x, y: (x - y) * np.conj(x - y),
        c64(B, 3), c64(3), id="complex64"),
    row("LogicalAnd", tf.logical_and, np.logical_and, bools(B, 3), bools(B, 3)),
    row("LogicalAnd", lambda x, y: x & y, np.logical_and, bools(B, 3), bools(3), id="operator"),
    row("LogicalAnd", tf.logical_xor, np.logical_xor, bools(B, 3), bools(B, 3), id="xor"),
    row("LogicalOr", tf.logical_or, np.logical_or, bools(B, 3), bools(B, 3)),
    row("LogicalOr", lambda x, y: x | y, np.logical_or, bools(B, 3), bools(), id="operator"),
    # Comparisons: small ints make ties common.
    row("Equal", tf.equal, np.equal, i32(B, 3, low=0, high=3), i32(3, low=0, high=3),
        dtype=np.bool_),
    row("Equal", lambda x, y: tf.equal(x, y), lambda x, y: (x == y).astype(bool),
        strs(B, 3), strs(B, 3), dtype=np.bool_, id="strings"),
    row("NotEqual", tf.not_equal, np.not_equal, i32(B, 3, low=0, high=3),
        i32(B, 3, low=0, high=3), dtype=np.bool_),
    row("Less", tf.less, np.less, f32(B, 3), f32(B, 3), dtype=np.bool_),
    row("Less", lambda x: x < 0, lambda x: x < 0, i32(B, 3), dtype=np.bool_, id="operator"),
    row("LessEqual", lambda x, y: x <= y, np.less_equal, i32(B, 3, low=0, high=3),
        i32(B, 3, low=0, high=3), dtype=np.bool_),
    row("Greater", tf.greater, np.greater, f32(B, 3), f32(3), dtype=np.bool_),
    row("Greater", lambda x: x > 1, lambda x: x > 1, i32(B, 3), dtype=np.bool_, id="operator"),
    row("Less", lambda x: 1 > x, lambda x: 1 > x, i32(B, 3), dtype=np.bool_, id="reflected"),
    row("GreaterEqual", tf.greater_equal, np.greater_equal, i32(B, 3, low=0, high=3),
        i32(B, 3, low=0, high=3), dtype=np.bool_),
    # Elementwise unary ops.
    row("Neg", tf.negative, np.negative, f32(B, 3)),
    row("Neg", lambda x: -x, np.negative, i32(B, 3), id="operator"),
    row("Abs", tf.abs, np.abs, f32(B, 3)),
    row("Abs", abs, np.abs, i32(B, 3), id="builtin"),
    row("ComplexAbs", tf.abs, np.abs, c64(B, 3), dtype=np.float32),
    row("Sign", tf.sign, np.sign, i32(B, 3)),
    row("Sign", tf.sign, np.sign, f32(B, 3), id="float32"),
    row("Square", tf.square, np.square, f32(B, 3)),
    row("Square", tf.square, np.square, i32(B, 3), id="int32"),
    row("Sqrt", tf.sqrt, np.sqrt, f32(B, 3, low=0.0)),
    row("Rsqrt", tf.rsqrt, lambda x: 1 / np.sqrt(x), f32(B, 3, low=0.1)),
    row("Exp", tf.exp, np.exp, f32(B, 3)),
    row("Expm1", tf.expm1, np.expm1, f32(B, 3)),
    row("Log", tf.log, np.log, f32(B, 3, low=0.1)),
    row("Log1p", tf.log1p, np.log1p, f32(B, 3, low=-0.9)),
    row("Sin", tf.sin, np.sin, f32(B, 3)),
    row("Cos", tf.cos, np.cos, f32(B, 3)),
    row("Tan", tf.tan, np.tan, f32(B, 3, low=-1.2, high=1.2)),
    row("Tanh", tf.tanh, np.tanh, f32(B, 3)),
    row("Sigmoid", tf.sigmoid, lambda x: 1 / (1 + np.exp(-x)), f32(B, 3)),
    row("Floor", tf.floor, np.floor, f32(B, 3)),
    row("Ceil", tf.ceil, np.ceil, f32(B, 3)),
    row("Reciprocal", tf.reciprocal, np.reciprocal, f32(B, 3, low=0.5)),
    row("Reciprocal", tf.reciprocal, lambda x: np.fix(1 / x).astype(np.int32),
        i32(B, 3, low=-2, high=3, nonzero=True), id="int32"),
    row("LogicalNot", tf.logical_not, np.logical_not, bools(B, 3)),
    row("LogicalNot", lambda x: ~x, np.logical_not, bools(B, 3), id="operator"),
    # Casts: float to int truncates toward zero.
    row("Cast", lambda x: tf.cast(x, tf.int32), lambda x: x.astype(np.int32),
        f32(B, 3, low=-5, high=5), dtype=np.int32),
    row("Cast", tf.to_float, lambda x: x.astype(np.float32), i32(B, 3), dtype=np.float32,
        id="to_float"),
    row("Cast", tf.to_int64, lambda x: x.astype(np.int64), f32(B, 3, low=-5, high=5),
        dtype=np.int64, id="to_int64"),
    row("Cast", lambda x: tf.cast(x, tf.bool), lambda x: x != 0, i32(B, 3, low=-1, high=2),
        dtype=np.bool_, id="to-bool"),
    row("Cast", lambda x: tf.cast(x, tf.float64), lambda x: x.astype(np.float64), bools(B, 3),
        dtype=np.float64, id="from-bool"),
    row("Cast", lambda x: tf.cast(x, tf.float32), np.real, c64(B, 3), dtype=np.float32,
        id="complex-keeps-the-real-part"),
    row("AddN", lambda x, y, z: tf.add_n([x, y, z]), lambda x, y, z: x + y + z,
        f32(B, 3), f32(B, 3), f32(B, 3)),
    row("AddN", lambda x, y: tf.add_n([x, y]), np.add, i32(B, 3), i32(B, 3), id="int32"),
    # Matrix products.
    row("MatMul", tf.matmul, np.matmul, f32(B, 3), f32(3, 4)),
    row("MatMul", lambda a, b: a @ b, np.matmul, f32(2, 3), f32(3, B), id="operator"),
    row("MatMul", lambda a, b: tf.matmul(a, b, transpose_a=True), _tdot, f32(3, B), f32(3, 4),
        id="transpose_a"),
    row("MatMul", lambda a, b: tf.matmul(a, b, transpose_b=True), lambda a, b: a @ b.T,
        f32(B, 3), f32(4, 3), id="transpose_b"),
    row("MatMul", lambda a, b: tf.matmul(a, b, adjoint_a=True, transpose_b=True),
        lambda a, b: a.T @ b.T, f32(3, B), f32(4, 3), id="adjoint_a-transpose_b"),
    row("MatMul", tf.matmul, np.matmul, i32(B, 3), i32(3, 2), id="int32"),
    row("BatchMatMulV2", tf.matmul, np.matmul, f32(B, 2, 3), f32(B, 3, 4)),
    row("BatchMatMulV2", tf.matmul, np.matmul, f32(B, 2, 3), f32(3, 4), id="broadcast"),
    row("BatchMatMulV2", lambda a, b: tf.matmul(a, b, adjoint_a=True), _tdot,
        f32(B, 3, 2), f32(B, 3, 4), id="adjoint_a"),
    row("BatchMatMulV2", lambda a, b: tf.matmul(a, b, adjoint_b=True),
        lambda a, b: a @ np.swapaxes(b, -1, -2), f32(B, 2, 3), f32(B, 4, 3), id="adjoint_b"),
    row("BatchMatMulV2", lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
        lambda a, b: np.swapaxes(a, -1, -2) @ np.swapaxes(b, -1, -2), f32(2, 3, B),
        f32(2, 4, 3), id="transpose-both"),
    # Reductions.
    row("Sum", tf.reduce_sum, np.sum, f32(B, 3)),
    row("Sum", lambda x: tf.reduce_sum(x, 0), lambda x: x.sum(0), f32(B, 3), id="axis0"),
    row("Sum", lambda x: tf.reduce_sum(x, axis=-1), lambda x: x.sum(-1), f32(B, 3),
        id="negative-axis"),
    row("Sum", lambda x: tf.reduce_sum(x, [0, 2], keepdims=True),
        lambda x: x.sum((0, 2), keepdims=True), f32(B, 2, 3), id="keepdims"),
    row("Sum", lambda x: tf.reduce_sum(x, reduction_indices=[1], keep_dims=True),
        lambda x: x.sum(1, keepdims=True), f32(B, 3), id="tf1-names"),
    row("Sum", lambda x: tf.reduce_sum(x, 1), lambda x: x.sum(1, dtype=np.int32), i32(B, 3),
        id="int32"),
    row("Sum", lambda x: tf.reduce_sum(x, []), lambda x: x, f32(B, 3), id="no-axes"),
    row("Mean", tf.reduce_mean, np.mean, f32(B, 3)),
    row("Mean", lambda x: tf.reduce_mean(x, 0, keepdims=True), lambda x: x.mean(0, keepdims=True),
        f32(B, 3), id="keepdims"),
    row("Mean", tf.reduce_mean, _int_mean, i32(B, 3), id="int32-truncates"),
    row("Mean", lambda x: tf.reduce_mean(x, 1), lambda x: _int_mean(x, 1), i32(B, 3),
        id="int32-axis"),
    row("Prod", lambda x: tf.reduce_prod(x, 1), lambda x: x.prod(1), f32(B, 3)),
    row("Prod", tf.reduce_prod, lambda x: x.prod(dtype=np.int32), i32(B, 3, low=-3, high=4),
        id="int32"),
    row("Max", tf.reduce_max, np.max, f32(B, 3)),
    row("Max", lambda x: tf.reduce_max(x, -2), lambda x: x.max(-2), i32(B, 3), id="int32"),
    row("Min", lambda x: tf.reduce_min(x, 1, keepdims=True), lambda x: x.min(1, keepdims=True),
        f32(B, 3)),
    row("Min", tf.reduce_min, np.min, i32(B, 3), id="int32"),
    row("All", lambda x: tf.reduce_all(x, 1), lambda x: x.all(1), bools(B, 3)),
    row("All", tf.reduce_all, np.all, bools(B, 3), id="all-axes"),
    row("Any", lambda x: tf.reduce_any(x, 0), lambda x: x.any(0), bools(B, 3)),
    row("Any", tf.reduce_any, np.any, bools(B, 3), id="all-axes"),
    # Grouping and logging.
    row("NoOp", tf.no_op, None),
    row("NoOp", lambda x: tf.group(x + 1, [x * 2]), None, f32(B, 3), id="group"),
    row("Print", lambda x: tf.Print(x, [x, tf.shape(x)], "x = "), lambda x: x, f32(B, 3)),
    # Strings (host kernels).
    row("AsString", tf.as_string, _as_strings("%f"), f32(B, 3), dtype=object),
    row("AsString", tf.as_string, _as_strings("%d"), i32(B, 3), dtype=object, id="int32"),
    row("AsString", tf.as_string, lambda x: np.where(x, b"true", b"false").astype(object),
        bools(B, 3), dtype=object, id="bool"),
    row("AsString", lambda x: tf.as_string(x, precision=2), _as_strings("%.2f"), f32(B, 3),
        dtype=object, id="precision"),
    row("AsString", lambda x: tf.as_string(x, scientific=True), _as_strings("%e"), f32(B, 3),
        dtype=object, id="scientific"),
    row("AsString", lambda x: tf.as_string(x, shortest=True), _as_strings("%g"), f32(B, 3),
        dtype=object, id="shortest"),
    row("AsString", lambda x: tf.as_string(x, width=4, fill="0"), _as_strings("%04d"),
        i32(B, 3), dtype=object, id="width-fill"),
    row("StringJoin", lambda x, y: tf.string_join([x, y]), _join(b""), strs(B, 3), strs(B, 3)),
    row("StringJoin", lambda x, y: tf.string_join([x, "!", y], separator="-"),
        lambda x, y: _join(b"-")(x, b"!", y), strs(B, 3), strs(), id="scalars-separator"),
]

# Kernels registered before their op constructors had rows; each needs one (here, or in a
# family's own table that lists it in OP_TYPES_TESTED).
_AWAITING_ROWS: set[str] = set()


def _ids(rows) -> list[str]:
    ids, seen = [], {}
    for r in rows:
        name = f"{r.op_type}-{r.id}" if r.id else r.op_type
        seen[name] = seen.get(name, 0) + 1
        ids.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return ids


@pytest.fixture(scope="module")
def sess():
    # One graph and session for the module: every graph compiles anyway, sessions are cheap
    # to share, and plans of earlier rows stay cached.
    graph = tf.Graph()
    with tf.Session(graph=graph) as session:
        yield session


def _value(spec: In, batch: int, rng: np.random.Generator) -> np.ndarray:
    shape = tuple(batch if d is B else d for d in spec.shape)
    if spec.dtype is object:
        return np.asarray(rng.choice([b"a", b"bc", b"", b"xyz"], size=shape), dtype=object)
    if spec.dtype is np.bool_:
        return np.asarray(rng.random(shape) < 0.5)
    if np.issubdtype(spec.dtype, np.complexfloating):
        parts = rng.uniform(spec.low, spec.high, size=(2, *shape))
        return np.asarray(parts[0] + 1j * parts[1], dtype=spec.dtype)
    if np.issubdtype(spec.dtype, np.integer):
        v = np.asarray(rng.integers(spec.low, spec.high, size=shape))
        if spec.nonzero:
            v[v == 0] = 1
        return v.astype(spec.dtype)
    return np.asarray(rng.uniform(spec.low, spec.high, size=shape), dtype=spec.dtype)


def _values(r: Row, batch: int) -> list[np.ndarray]:
    rng = np.random.default_rng(zlib.crc32(repr(r[:1] + r[3:]).encode()) + batch)
    return [_value(s, batch, rng) for s in r.inputs]


def _placeholder(spec: In, batch) -> tf.Tensor:
    return tf.placeholder(tf.as_dtype(spec.dtype), [batch if d is B else d for d in spec.shape])


def _dims(t: tf.Tensor) -> tuple | None:
    return None if t.shape.ndims is None else tuple(t.shape.as_list())


def _compatible(dims: tuple | None, shape: tuple) -> bool:
    return dims is None or (len(dims) == len(shape)
                            and all(d is None or d == s for d, s in zip(dims, shape)))


def _check_value(got, expected: np.ndarray, dtype) -> None:
    got = np.asarray(got)
    assert got.dtype == np.dtype(dtype), f"dtype {got.dtype}, expected {np.dtype(dtype)}"
    assert got.shape == expected.shape
    if np.issubdtype(got.dtype, np.inexact):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_array_equal(got, expected)


def _expected(r: Row, values) -> tuple[np.ndarray, np.dtype]:
    expected = np.asarray(r.ref(*values))
    return expected, np.dtype(r.dtype or (r.inputs[0].dtype if r.inputs else expected.dtype))


@pytest.mark.parametrize("r", ROWS, ids=_ids(ROWS))
def test_row(r: Row, sess):
    # One graph, one run: inputs fed with known shapes (B=4), as constants, fed with B unknown
    # and fed with unknown rank (both B=3).
    known, partial = _values(r, 4), _values(r, 3)
    graph = sess.graph
    with graph.as_default():
        first = len(graph.get_operations())
        fed = [_placeholder(s, 4) for s in r.inputs]
        out_fed = r.build(*fed)
        created = {op.type for op in graph.get_operations()[first:]}
        out_const = r.build(*[tf.constant(v) for v in known])
        fed_partial = [_placeholder(s, None) for s in r.inputs]
        fed_unknown = [tf.placeholder(tf.as_dtype(s.dtype)) for s in r.inputs]
        out_partial, out_unknown = r.build(*fed_partial), r.build(*fed_unknown)
    assert r.op_type in created
    feeds = {**dict(zip(fed, known)), **dict(zip(fed_partial, partial)),
             **dict(zip(fed_unknown, partial))}
    got = sess.run([out_fed, out_const, out_partial, out_unknown], feeds)
    if r.ref is None:  # an Operation: running it gives None
        assert isinstance(out_fed, tf.Operation) and got == [None] * 4
        return
    _check_fed_and_constant(r, known, [out_fed, out_const], got[:2])
    _check_partially_known(r, partial, [out_partial, out_unknown], got[2:])


def _check_fed_and_constant(r: Row, values, outs, got) -> None:
    expected, dtype = _expected(r, values)
    for t, value in zip(outs, got):
        _check_value(value, expected, dtype)
        assert t.dtype == tf.as_dtype(dtype)
        if r.by_value and t is outs[0]:
            assert _compatible(_dims(t), expected.shape), (t.shape, expected.shape)
        else:  # known input shapes (and values): a fully known output shape, or TF's
            assert _dims(t) == (r.known or expected.shape)


def _check_partially_known(r: Row, values, outs, got) -> None:
    expected, dtype = _expected(r, values)
    for t, value in zip(outs, got):
        _check_value(value, expected, dtype)
        assert t.dtype == tf.as_dtype(dtype)
        assert _compatible(_dims(t), expected.shape), (t.shape, expected.shape)
    if r.by_value:
        return
    # Dims that do not change with the batch size are known at build time.
    other = np.shape(r.ref(*_values(r, 2)))
    known = tuple(a if a == b else None for a, b in zip(expected.shape, other))
    assert _dims(outs[0]) == (known if r.partial is None else r.partial)


def check_rows_in_one_run(sess, rows) -> None:
    """Builds every row (fed known, constant, fed partial, fed unknown) in `sess`'s graph
    and checks them all from one run: one compile for a whole table."""
    graph, builds, feeds = sess.graph, [], {}
    with graph.as_default():
        for r in rows:
            known, partial = _values(r, 4), _values(r, 3)
            first = len(graph.get_operations())
            fed = [_placeholder(s, 4) for s in r.inputs]
            outs = [r.build(*fed)]
            assert r.op_type in {op.type for op in graph.get_operations()[first:]}, r
            outs.append(r.build(*[tf.constant(v) for v in known]))
            fed_partial = [_placeholder(s, None) for s in r.inputs]
            fed_unknown = [tf.placeholder(tf.as_dtype(s.dtype)) for s in r.inputs]
            outs += [r.build(*fed_partial), r.build(*fed_unknown)]
            feeds.update({**dict(zip(fed, known)), **dict(zip(fed_partial, partial)),
                          **dict(zip(fed_unknown, partial))})
            builds.append((r, known, partial, outs))
    got = sess.run([outs for _, _, _, outs in builds], feeds)
    for (r, known, partial, outs), values in zip(builds, got):
        try:
            _check_fed_and_constant(r, known, outs[:2], values[:2])
            _check_partially_known(r, partial, outs[2:], values[2:])
        except AssertionError as e:
            raise AssertionError(f"row {_ids([r])[0]}: {e}") from e


def _tested_elsewhere() -> set[str]:
    """Op types that other test modules (anywhere under tests/) list in `OP_TYPES_TESTED`."""
    root = pathlib.Path(__file__).resolve().parent.parent
    out: set[str] = set()
    for path in sorted(root.rglob("test_*.py")):
        if path.resolve() != pathlib.Path(__file__).resolve():
            dotted = ".".join(("tests",) + path.relative_to(root).with_suffix("").parts)
            module = importlib.import_module(dotted)
            out |= set(getattr(module, "OP_TYPES_TESTED", ()))
    return out


def test_every_kernel_has_a_row():
    covered = {r.op_type for r in ROWS} | _tested_elsewhere()
    registered = set(registry.all_kernels())
    missing = sorted(registered - covered - _AWAITING_ROWS)
    assert not missing, f"op types without a row in ROWS ({__file__}): {missing}"
    stale = sorted(_AWAITING_ROWS & covered | _AWAITING_ROWS - registered)
    assert not stale, f"remove these from _AWAITING_ROWS: {stale}"


# -- Reductions ----------------------------------------------------------------------------


def test_reduction_rejects_old_and_new_argument_names_together(sess):
    with sess.graph.as_default():
        x = tf.constant([[1.0, 2.0]])
        with pytest.raises(ValueError, match="both 'axis' and 'reduction_indices'"):
            tf.reduce_sum(x, axis=0, reduction_indices=0)
        with pytest.raises(ValueError, match="both 'keepdims' and 'keep_dims'"):
            tf.reduce_mean(x, keepdims=True, keep_dims=True)


def test_reduction_axis_out_of_range(sess):
    with sess.graph.as_default():
        x = tf.constant([[1, 2], [3, 4]])
        with pytest.raises(ValueError, match=r"Invalid reduction dimension 2 .*'Sum'.*\[2,2\]"):
            tf.reduce_sum(x, 2)
        axis = tf.placeholder(tf.int32, [])
        total = tf.reduce_sum(x, axis)
    assert sess.run(total, {axis: -1}).tolist() == [3, 7]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid reduction dimension 5"):
        sess.run(total, {axis: 5})


def test_reductions_of_empty_tensors_give_the_identity(sess):
    with sess.graph.as_default():
        empty = tf.placeholder(tf.float32, [0, 2])
        outs = [f(empty, 0) for f in (tf.reduce_sum, tf.reduce_prod, tf.reduce_max,
                                      tf.reduce_min)]
    got = sess.run(outs, {empty: np.zeros((0, 2), np.float32)})
    assert [v.tolist() for v in got] == [[0, 0], [1, 1], [-np.inf] * 2, [np.inf] * 2]


# -- Reshape ----------------------------------------------------------------------------------


def test_reshape_to_shapes_computed_from_unknown_dims(sess):
    with sess.graph.as_default():
        x = tf.placeholder(tf.float32, [None, None])
        s = tf.shape(x)
        flat = tf.reshape(x, [s[0] * s[1]])
        swapped = tf.reshape(x, tf.stack([s[1], s[0]]))
        fed = tf.placeholder(tf.int32, [2])
        reshaped = tf.reshape(x, fed)
    assert flat.shape.as_list() == [None] and swapped.shape.as_list() == [None, None]
    assert reshaped.shape.as_list() == [None, None]
    for shape in [(2, 3), (4, 1)]:
        value = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
        got = sess.run([flat, swapped, reshaped], {x: value, fed: [1, -1]})
        np.testing.assert_array_equal(got[0], value.reshape(-1))
        np.testing.assert_array_equal(got[1], value.reshape(shape[::-1]))
        np.testing.assert_array_equal(got[2], value.reshape(1, -1))


def test_reshape_errors(sess):
    with sess.graph.as_default():
        with pytest.raises(ValueError, match="'Reshape'"):
            tf.reshape(tf.constant([1, 2, 3]), [2, -1])
        with pytest.raises(ValueError, match="Only one dimension"):
            tf.reshape(tf.placeholder(tf.float32, [None, 4]), [-1, -1])
        with pytest.raises(ValueError, match="a multiple of 3 elements to shape \\[4\\]"):
            tf.reshape(tf.placeholder(tf.float32, [None, 3]), [4])
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.reshape(x, [2, -1])
    assert y.shape.as_list() == [2, None]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Reshape"):
        sess.run(y, {x: np.zeros((3, 3), np.float32)})


# -- Matmul -----------------------------------------------------------------------------------


def test_matmul_errors(sess):
    with sess.graph.as_default():
        a, b = tf.constant(np.ones((2, 3), np.float32)), tf.constant(np.ones((4, 3), np.float32))
        with pytest.raises(ValueError, match="'MatMul'"):
            tf.matmul(a, b)
        with pytest.raises(ValueError, match="transpose_a and adjoint_a"):
            tf.matmul(a, b, transpose_a=True, adjoint_a=True)
        with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1 for 'MatMul"):
            tf.matmul(tf.constant([1.0, 2.0, 3.0]), a, transpose_b=True)  # TF's MatMul, rank 1
        with pytest.raises(TypeError, match="int32"):
            tf.matmul(a, tf.constant([[1], [2], [3]]))


# -- tf.constant ------------------------------------------------------------------------------

# (value, keyword arguments, expected value with the expected dtype)
CONSTANTS = [
    (1.5, {}, np.float32(1.5)),
    (7, {}, np.int32(7)),
    (2**40, {}, np.int64(2**40)),
    ([1, 2**31], {}, np.array([1, 2**31], np.int64)),
    (True, {}, np.bool_(True)),
    ([1, 2.5], {}, np.array([1, 2.5], np.float32)),
    ([], {}, np.zeros([0], np.float32)),
    (np.array([0.5, 1.5]), {}, np.array([0.5, 1.5], np.float64)),
    (np.array([1, 2]), {}, np.array([1, 2], np.int64)),
    (np.float16(2), {}, np.float16(2)),
    ("abc", {}, np.array(b"abc", object)),
    ([b"a", "b"], {}, np.array([b"a", b"b"], object)),
    (3, {"dtype": tf.float32}, np.float32(3)),
    (True, {"dtype": tf.int32}, np.int32(1)),
    ([], {"dtype": tf.int32}, np.zeros([0], np.int32)),
    (np.array([1.7, -1.7]), {"dtype": tf.int32}, np.array([1, -1], np.int32)),
    (7, {"shape": [2, 3]}, np.full([2, 3], 7, np.int32)),
    ([1, 2, 3], {"shape": [2, 3]}, np.array([[1, 2, 3], [3, 3, 3]], np.int32)),
    ([1, 2, 3, 4, 5, 6], {"shape": [3, 2]}, np.arange(1, 7, dtype=np.int32).reshape(3, 2)),
    (np.array([[1.0, 2.0]]), {"shape": [2]}, np.array([1.0, 2.0])),
    ([[1, 2]], {"shape": [1, 2], "verify_shape": True}, np.array([[1, 2]], np.int32)),
    (5, {"shape": [0]}, np.zeros([0], np.int32)),
]


@pytest.mark.parametrize("value, kwargs, expected", CONSTANTS)
def test_constant(value, kwargs, expected, sess):
    with sess.graph.as_default():
        t = tf.constant(value, **kwargs)
    assert t.dtype == tf.as_dtype(expected.dtype)
    assert tuple(t.shape.as_list()) == np.shape(expected)
    got = sess.run(t)
    if expected.dtype == object:  # strings come back as bytes, or object arrays of bytes
        got = got if isinstance(got, np.ndarray) else np.array(got, dtype=object)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("value, kwargs, error, match", [
    (1.5, {"dtype": tf.int32}, TypeError, "Expected int32, got 1.5 of type 'float'"),
    ([1, 2.5], {"dtype": tf.int64}, TypeError, "Expected int64, got 2.5 of type 'float'"),
    (1, {"dtype": tf.bool}, TypeError, "Expected bool, got 1 of type 'int'"),
    ("a", {"dtype": tf.float32}, TypeError, "Expected float32, got 'a' of type 'str'"),
    (2.5, {"dtype": tf.string}, TypeError, "Expected string"),
    (2**40, {"dtype": tf.int32}, TypeError, "does not fit in int32"),
    ([1, 2, 3], {"shape": [2]}, ValueError, "Too many elements provided. Needed at most 2, but "
                                            "received 3"),
    ([1, 2, 3], {"shape": [3, 1], "verify_shape": True}, TypeError,
     r"Expected Tensor's shape: \(3, 1\), got \(3,\)"),
    ([[1], [2, 3]], {}, ValueError, "dense tensor"),
    (None, {}, ValueError, "None values not supported"),
])
def test_constant_errors(value, kwargs, error, match, sess):
    with sess.graph.as_default(), pytest.raises(error, match=match):
        tf.constant(value, **kwargs)


# -- tf.range, tf.stack, tf.add_n -------------------------------------------------------------

RANGES = [
    ((5,), {}, np.arange(5, dtype=np.int32)),
    ((2, 8), {}, np.arange(2, 8, dtype=np.int32)),
    ((1, 10, 3), {}, np.array([1, 4, 7], np.int32)),
    ((5, 1, -1), {}, np.array([5, 4, 3, 2], np.int32)),
    ((3, 3), {}, np.zeros([0], np.int32)),
    ((0, 1, 0.25), {}, np.array([0, 0.25, 0.5, 0.75], np.float32)),
    ((0.0, 1.0, 0.1), {}, np.arange(10, dtype=np.float32) * np.float32(0.1)),
    ((3,), {"dtype": tf.float64}, np.arange(3, dtype=np.float64)),
    ((np.int64(4),), {}, np.arange(4, dtype=np.int64)),
    ((2**33, 2**33 + 2), {}, np.array([2**33, 2**33 + 1], np.int64)),
    ((-1.5, 1), {}, np.array([-1.5, -0.5, 0.5], np.float32)),
]


@pytest.mark.parametrize("args, kwargs, expected", RANGES)
def test_range_forms(args, kwargs, expected, sess):
    with sess.graph.as_default():
        t = tf.range(*args, **kwargs)
    assert t.dtype == tf.as_dtype(expected.dtype) and t.shape.as_list() == [len(expected)]
    got = sess.run(t)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_range_with_tensor_bounds_and_errors(sess):
    with sess.graph.as_default():
        t = tf.range(tf.constant(1), 2.5)
        assert t.dtype == tf.float32 and t.op.type == "Range"
        with pytest.raises(ValueError, match="Requires delta != 0"):
            tf.range(1, 5, 0)
        with pytest.raises(ValueError, match=r"Requires start <= limit when delta > 0: 5/1"):
            tf.range(5, 1)
        with pytest.raises(ValueError, match=r"Requires start >= limit when delta < 0"):
            tf.range(1, 5, -1)
        with pytest.raises(TypeError):
            tf.range(0, 1, 0.5, dtype=tf.int32)
        limit = tf.placeholder(tf.int32, [])
        fed = tf.range(10, limit, -3)
    assert sess.run(t).tolist() == [1.0, 2.0]
    assert sess.run(fed, {limit: 2}).tolist() == [10, 7, 4]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Requires start >= limit"):
        sess.run(fed, {limit: 20})


def test_stack(sess):
    with sess.graph.as_default():
        values = tf.stack([[1, 2], [3, 4]])
        single = tf.stack([tf.constant(2.0)])
        mixed = tf.stack([tf.placeholder(tf.float32, [None, 3]),
                          tf.placeholder(tf.float32, [2, None])], axis=1)
        assert mixed.shape.as_list() == [2, 2, 3]
        with pytest.raises(ValueError, match=r"axis = 2 not in \[-2, 2\)"):
            tf.stack([tf.constant([1, 2])], axis=2)
        with pytest.raises(
            ValueError, match="(?s)must be equal, but are 2 and 3.*for 'stack.*'Pack'"
        ):
            tf.stack([tf.constant([1, 2]), tf.constant([1, 2, 3])])
    assert values.dtype == tf.int32
    assert sess.run(values).tolist() == [[1, 2], [3, 4]]
    assert sess.run(single).tolist() == [2.0]


def test_add_n(sess):
    with sess.graph.as_default():
        x = tf.constant([1.0, 2.0])
        assert tf.add_n([x]) is x
        assert tf.add_n([x], name="total").op.type == "Identity"
        total = tf.add_n([x, [10, 20], x])
        a, b = tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32, [2, None])
        assert tf.add_n([a, b]).shape.as_list() == [2, 3]
        with pytest.raises(ValueError, match="'AddN'"):
            tf.add_n([x, tf.constant([1.0, 2.0, 3.0])])
        with pytest.raises(ValueError, match="at least one"):
            tf.add_n([])
        c, d = tf.placeholder(tf.float32, [None]), tf.placeholder(tf.float32, [None])
        unchecked = tf.add_n([c, d])
    assert sess.run(total).tolist() == [12.0, 24.0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="same size and shape"):
        sess.run(unchecked, {c: np.ones(2, np.float32), d: np.ones(1, np.float32)})


def test_truediv_result_types(sess):
    with sess.graph.as_default():
        cases = {tf.int8: tf.float32, tf.int16: tf.float32, tf.int32: tf.float64,
                 tf.int64: tf.float64, tf.float16: tf.float16, tf.float32: tf.float32}
        for dtype, result in cases.items():
            assert tf.truediv(tf.constant([3], dtype), tf.constant([2], dtype)).dtype == result
        quotient = tf.constant([7, -7]) / 2
    assert sess.run(quotient).tolist() == [3.5, -3.5]


# -- Strings ----------------------------------------------------------------------------------


def test_as_string_formats(sess):
    with sess.graph.as_default():
        outs = [tf.as_string(3.5), tf.as_string(True), tf.as_string(-7),
                tf.as_string(np.int64(2**40)), tf.as_string(1e10, shortest=True),
                tf.as_string(np.float64(2.0), precision=3, scientific=True),
                tf.as_string([1, 22], width=3), tf.as_string(5, width=3, fill="-"),
                tf.as_string(np.complex64(1 - 2j), precision=1)]
    got = [v.tolist() if isinstance(v, np.ndarray) else v for v in sess.run(outs)]
    assert got == [b"3.500000", b"true", b"-7", b"1099511627776", b"1e+10", b"2.000e+00",
                   [b"  1", b" 22"], b"5  ", b"(1.0,-2.0)"]


@pytest.mark.parametrize("kwargs, value, match", [
    ({"scientific": True, "shortest": True}, 1.0, "both scientific and shortest"),
    ({"fill": "ab"}, 1, "one or fewer characters"),
    ({"fill": "x"}, 1, "fill argument not supported"),
    ({"precision": 2}, 1, "precision not supported for datatype int32"),
    ({"scientific": True}, True, "not supported for datatype bool"),
])
def test_as_string_rejects_bad_formats(kwargs, value, match, sess):
    with sess.graph.as_default(), pytest.raises(ValueError, match=match):
        tf.as_string(value, **kwargs)


def test_as_string_rejects_strings(sess):
    with sess.graph.as_default(), pytest.raises(TypeError, match="string"):
        tf.as_string("a")


def test_string_join_shapes(sess):
    with sess.graph.as_default():
        scalars = tf.string_join(["a", "b", "c"], separator=", ")
        assert scalars.shape.as_list() == []
        x, y = tf.placeholder(tf.string, [None, 2]), tf.placeholder(tf.string, [3, None])
        assert tf.string_join([x, "-", y]).shape.as_list() == [3, 2]
        with pytest.raises(ValueError, match="'StringJoin'"):
            tf.string_join([tf.constant(["a", "b"]), tf.constant(["c"])])
        u, v = tf.placeholder(tf.string), tf.placeholder(tf.string)
        joined = tf.string_join([u, v])
        assert joined.shape.ndims is None
    assert sess.run(scalars) == b"a, b, c"
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Input shapes do not match"):
        sess.run(joined, {u: ["a", "b"], v: ["c"]})


# -- tf.Print ---------------------------------------------------------------------------------


@pytest.mark.parametrize("data, kwargs, printed", [
    ([[1, 2, 3]], {}, "msg[1 2 3]"),
    ([[1, 2, 3, 4]], {}, "msg[1 2 3...]"),
    ([[1, 2, 3, 4]], {"summarize": 2}, "msg[1 2...]"),
    ([[1, 2, 3, 4]], {"summarize": -1}, "msg[1 2 3 4]"),
    ([[[1, 2], [3, 4]]], {}, "msg[[1 2][3...]...]"),
    ([[[1, 2, 3], [4, 5, 6]]], {"summarize": 4}, "msg[[1 2 3][4...]...]"),
    ([7, [True, False]], {}, "msg[7][1 0]"),
    ([np.array([0.1, 1 / 3], np.float32)], {}, "msg[0.1 0.333333343]"),
    ([np.array([0.1, 1 / 3])], {}, "msg[0.1 0.33333333333333331]"),
    ([[b"a\nb", b"q'"]], {}, "msg[a\\nb q\\']"),
    ([], {}, "msg"),
])
def test_print_writes_tf_format_to_stderr(data, kwargs, printed, sess, capfd):
    with sess.graph.as_default():
        x = tf.constant([1.0, 2.0])
        y = tf.Print(x, [tf.constant(d) for d in data], "msg", **kwargs)
    assert y.shape.as_list() == [2] and y.dtype == tf.float32
    assert sess.run(y).tolist() == [1.0, 2.0]
    assert capfd.readouterr().err == printed + "\n"
