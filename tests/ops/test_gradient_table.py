"""Gradients of every differentiable op against finite differences (the op table and more)."""

from __future__ import annotations

import importlib
import pathlib
import zlib
from typing import Callable, NamedTuple

import jax
import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework.ops import apply_op
from flowgraph.ops import math_ops
from kernels import registry
from tests.gradient_checker import check_gradients
from tests.ops.test_op_table import ROWS, B, In, Row, _ids, _value, f32

BATCH = 2  # the batch dim of the table's shapes: small Jacobians, few runs
GRID = 1 / 128  # float inputs are distinct points of this grid, offset per input

_SKIP_GROUPS = {
    "no inputs: a constant or a graph input": ("Const", "Placeholder"),
    "an integer result from the input's shape only (NotDifferentiable in TF)": (
        "Shape", "Size", "Rank"),
    "an integer sequence from scalar bounds (NotDifferentiable in TF)": ("Range",),
    "a comparison: bool output": (
        "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"),
    "bool inputs and output": ("LogicalAnd", "LogicalOr", "LogicalNot", "All", "Any"),
    "a string output (host op)": ("AsString", "StringJoin"),
    "the int64 coordinates of true elements (host op; NotDifferentiable in TF)": ("Where",),
    "no outputs": ("NoOp",),
    "its gradient is None by definition, which finite differences cannot see "
    "(test_stop_gradient_blocks_its_input checks it)": ("StopGradient",),
    "variable state: reads or writes a variable's ref, no gradient": (
        "VariableV2", "Assign", "AssignAdd", "AssignSub", "IsVariableInitialized",
        "ScatterAdd", "ScatterSub", "ScatterUpdate"),
    "an optimizer's update of a variable and its slots: a training op, never differentiated": (
        "ApplyAdadelta", "ApplyAdagrad", "ApplyAdagradDA", "ApplyAdam", "ApplyCenteredRMSProp",
        "ApplyFtrl", "ApplyFtrlV2", "ApplyGradientDescent", "ApplyMomentum",
        "ApplyProximalAdagrad", "ApplyProximalGradientDescent", "ApplyRMSProp",
        "SparseApplyAdadelta", "SparseApplyAdagrad", "SparseApplyAdagradDA",
        "SparseApplyCenteredRMSProp", "SparseApplyFtrl", "SparseApplyFtrlV2",
        "SparseApplyMomentum", "SparseApplyProximalAdagrad",
        "SparseApplyProximalGradientDescent", "SparseApplyRMSProp"),
    "a random draw: flowgraph gives RNG kernels no gradient, and a session's RNG state moves "
    "on every run, so finite differences cannot be taken": (
        "RandomStandardNormal", "RandomUniform", "RandomUniformInt", "TruncatedNormal",
        "RandomGamma", "RandomShuffle", "Multinomial"),
}
# Op types whose gradients are not checked here, and why.
SKIPPED = {op: reason for reason, ops in _SKIP_GROUPS.items() for op in ops}

# Test ids of known gradient bugs: strict xfails, so a fix shows up as XPASS. (The
# conjugated complex gradients, Fill's missing gradient, Pow's NaN exponent gradient and
# per-feed recompiles found by this file are fixed.)
KNOWN_BUGS: dict[str, str] = {}


# -- input values -----------------------------------------------------------------------------


def _inexact(dtype) -> bool:
    return dtype is not object and np.issubdtype(dtype, np.inexact)


def _promoted(dtype) -> type:
    return np.complex128 if np.issubdtype(dtype, np.complexfloating) else np.float64


def _shape(spec: In) -> tuple:
    return tuple(BATCH if d is B else d for d in spec.shape)


def _smooth(spec: In, dtype, k: int, count: int, rng) -> np.ndarray:
    """Distinct values inside [low, high], away from its ends and from integers."""
    # Integers are the kinks of abs, sign, floor, relu, ...; input k of `count` takes its own
    # offset of the grid, so no two inputs tie (maximum, minimum).
    margin = 0.1 * (spec.high - spec.low)
    steps = np.arange(np.ceil((spec.low + margin) / GRID), np.floor((spec.high - margin) / GRID))
    points = (steps + k / count) * GRID
    frac = points - np.floor(points)
    points = points[(frac > 0.1) & (frac < 0.9)]
    shape = _shape(spec)
    reals = rng.choice(points, (2 if np.issubdtype(dtype, np.complexfloating) else 1,) + shape,
                       replace=False)
    return (reals[0] + 1j * reals[1] if len(reals) == 2 else reals[0]).astype(dtype)


def _off_integer_ratio(values: list) -> list:
    """x such that x / y is away from integers (the jumps of floordiv and floormod)."""
    x, y = values
    q = x / y
    return [y * (np.floor(q) + np.clip(q - np.floor(q), 0.2, 0.8)), y]


# Op types whose inputs need more than distinct values away from integers.
_ADJUST: dict[str, Callable[[list], list]] = {
    "FloorDiv": _off_integer_ratio,
    "FloorMod": _off_integer_ratio,
}


def _values(specs, key: str, op_type: str, promote: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    count = max(1, sum(_inexact(s.dtype) for s in specs))
    values, k = [], 0
    for spec in specs:
        if _inexact(spec.dtype):
            dtype = _promoted(spec.dtype) if promote else spec.dtype
            values.append(_smooth(spec, dtype, k, count, rng))
            k += 1
        else:
            values.append(_value(spec, BATCH, rng))
    return _ADJUST.get(op_type, lambda v: v)(values)


def _check(build: Callable, values: list) -> None:
    """Checks the gradient w.r.t. each float input; the others are constants."""
    wrt = [i for i, v in enumerate(values) if _inexact(v.dtype)]

    def fn(*xs):
        args = [tf.constant(v) for v in values]
        for i, x in zip(wrt, xs):
            args[i] = x
        return build(*args)

    check_gradients(fn, *[values[i] for i in wrt])


def _param(value, test_id: str):
    marks = []
    if test_id in KNOWN_BUGS:
        marks.append(pytest.mark.xfail(strict=True, raises=AssertionError,
                                       reason=KNOWN_BUGS[test_id]))
    return pytest.param(value, id=test_id, marks=marks)


# -- the op table -----------------------------------------------------------------------------


def _row_skip(r: Row) -> str | None:
    if r.op_type in SKIPPED:
        return SKIPPED[r.op_type]
    if not any(_inexact(s.dtype) for s in r.inputs):
        return "no float or complex input"
    out = r.dtype or r.inputs[0].dtype
    if not _inexact(out):
        return f"{np.dtype(out).name} output"
    return None


# Rows with no gradient to check (listed with their reason by `_row_skip`) are not
# collected at all, rather than reported as skipped tests.
@pytest.mark.parametrize("r", [_param(r, i) for r, i in zip(ROWS, _ids(ROWS))
                               if _row_skip(r) is None])
def test_row_gradient(r: Row):
    key = repr((r.op_type, r.id, r.inputs))
    _check(r.build, _values(r.inputs, key, r.op_type, promote=True))


# -- ops and forms the table does not cover ----------------------------------------------------


class Case(NamedTuple):
    """A graph function of float inputs and the op types whose gradients it checks."""

    op_types: tuple[str, ...]
    build: Callable
    inputs: tuple[In, ...]
    id: str


def case(op_types, build, *inputs, id) -> Case:
    return Case(op_types if isinstance(op_types, tuple) else (op_types,), build, inputs, id)


def f64(*shape, low=-2.0, high=2.0) -> In:
    return In(shape, np.float64, low, high)


def _second(f: Callable) -> Callable:
    """The gradient of scalar `f` as a graph function: its gradient goes through VJP nodes."""

    def grad(x):
        y = f(x)
        # A constant grad_ys: the default, fill(shape(y), 1), makes the session recompile for
        # every new value of x (see test_gradients_do_not_recompile_per_feed_value).
        return tf.convert_to_tensor(tf.gradients(y, x, grad_ys=tf.constant(1.0, y.dtype))[0])

    return grad


_W = np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 1.0]])

CASES = [
    # tf.gather: IndexedSlices along axis 0 (densified by the checker), a VJP elsewhere.
    case("GatherV2", lambda x: tf.gather(x, [2, 0, 2]), f64(3, 2), id="gather-axis0-repeats"),
    case("GatherV2", lambda x: tf.gather(x, [[0, 1], [1, 1]]), f64(3, 2),
         id="gather-axis0-2d-indices"),
    case("GatherV2", lambda x: tf.gather(x, [1, 1, 0], axis=1), f64(2, 3), id="gather-axis1"),
    case("GatherV2", lambda x: tf.gather(x, [0, 2], axis=-1), f64(2, 2, 3),
         id="gather-axis-1"),  # index 2 along an axis of 3 (TF rejects it along one of 2)
    case("GatherV2", lambda x: tf.concat([tf.gather(x, [0, 2]), tf.gather(x, [2])], 0),
         f64(3, 2), id="gather-two-slices-summed"),
    case("GatherV2", lambda x: tf.gather(tf.tanh(x), [1]) * 3.0, f64(3, 2),
         id="gather-slices-into-a-vjp"),
    # Joining and rearranging.
    case("ConcatV2", lambda x, y: tf.concat([x, y], 0), f64(1, 3), f64(2, 3), id="concat-axis0"),
    case("ConcatV2", lambda x, y, z: tf.concat([x, y, z], -1), f64(2, 1), f64(2, 2), f64(2, 1),
         id="concat-three-axis-1"),
    case("Pack", lambda x, y: tf.stack([x, y], axis=1), f64(2, 3), f64(2, 3), id="stack-axis1"),
    case("Pack", lambda x, y: tf.stack([x, y, x]), f64(3), f64(3), id="stack-reused-input"),
    case("Transpose", tf.transpose, f64(2, 3), id="transpose"),
    case("Transpose", lambda x: tf.transpose(x, [2, 0, 1]), f64(2, 3, 2), id="transpose-perm"),
    case("Reshape", lambda x: tf.reshape(x, [3, -1]), f64(2, 3), id="reshape"),
    case("Reshape", lambda x: tf.reshape(x, [1, 6, 1]), f64(2, 3), id="reshape-new-axes"),
    case("Squeeze", tf.squeeze, f64(1, 3, 1), id="squeeze"),
    case("Squeeze", lambda x: tf.squeeze(x, [0]), f64(1, 2, 3), id="squeeze-axis"),
    case("ExpandDims", lambda x: tf.expand_dims(x, 0), f64(2, 3), id="expand_dims-0"),
    case("ExpandDims", lambda x: tf.expand_dims(x, -1), f64(2, 3), id="expand_dims-1"),
    case("Identity", tf.identity, f64(2, 3), id="identity"),
    case("IdentityN", lambda x, y: tf.identity_n([x, y]), f64(2, 3), f64(3), id="identity_n"),
    case("IdentityN", lambda x, y: tf.identity_n([x, y])[1] * 2.0, f64(2), f64(3),
         id="identity_n-one-output-used"),
    case("OnesLike", lambda x: tf.ones_like(x, optimize=False) + 0 * x, f64(2, 3),
         id="ones_like"),
    # Slicing.
    case("StridedSlice", lambda x: x[1:, ::2], f64(3, 4), id="slice-1:-::2"),
    case("StridedSlice", lambda x: x[..., 0], f64(2, 3, 2), id="slice-ellipsis-0"),
    case("StridedSlice", lambda x: x[::-1, 1:3], f64(3, 4), id="slice-reversed"),
    case("StridedSlice", lambda x: x[:, tf.newaxis, 1], f64(2, 3), id="slice-newaxis"),
    # Matrix products.
    case("MatMul", tf.matmul, f64(2, 3), f64(3, 2), id="matmul"),
    case("MatMul", lambda a, b: tf.matmul(a, b, transpose_a=True), f64(3, 2), f64(3, 2),
         id="matmul-transpose_a"),
    case("MatMul", lambda a, b: tf.matmul(a, b, transpose_b=True), f64(2, 3), f64(2, 3),
         id="matmul-transpose_b"),
    case("MatMul", lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
         f64(3, 2), f64(2, 3), id="matmul-transpose-both"),
    case("MatMul", lambda a, b: tf.matmul(a, b, adjoint_a=True), f64(3, 2), f64(3, 2),
         id="matmul-adjoint_a"),
    case("MatMul", lambda a, b: tf.matmul(a, b, adjoint_b=True), f64(2, 3), f64(2, 3),
         id="matmul-adjoint_b"),
    case("BatchMatMulV2", tf.matmul, f64(2, 2, 3), f64(2, 3, 2), id="batch-matmul"),
    case("BatchMatMulV2", lambda a, b: tf.matmul(a, b, adjoint_a=True), f64(2, 3, 2),
         f64(2, 3, 2), id="batch-matmul-adjoint_a"),
    case("BatchMatMulV2", lambda a, b: tf.matmul(a, b, adjoint_b=True), f64(2, 2, 3),
         f64(2, 2, 3), id="batch-matmul-adjoint_b"),
    case("BatchMatMulV2", lambda a, b: tf.matmul(a, b, adjoint_a=True, adjoint_b=True),
         f64(2, 3, 2), f64(2, 2, 3), id="batch-matmul-adjoint-both"),
    case("BatchMatMulV2", tf.matmul, f64(2, 2, 3), f64(3, 2), id="batch-matmul-broadcast-b"),
    case("BatchMatMulV2", tf.matmul, f64(1, 2, 3), f64(2, 3, 2), id="batch-matmul-broadcast-a"),
    # Reductions keeping their dims.
    case("Sum", lambda x: tf.reduce_sum(x, 1, keepdims=True), f64(2, 3), id="sum-keepdims"),
    case("Sum", lambda x: tf.reduce_sum(x, keepdims=True), f64(2, 3), id="sum-all-keepdims"),
    case("Mean", lambda x: tf.reduce_mean(x, [0, 2], keepdims=True), f64(2, 3, 2),
         id="mean-keepdims"),
    case("Prod", lambda x: tf.reduce_prod(x, 0, keepdims=True), f64(2, 3), id="prod-keepdims"),
    case("Max", lambda x: tf.reduce_max(x, keepdims=True), f64(2, 3), id="max-keepdims"),
    case("Min", lambda x: tf.reduce_min(x, -1, keepdims=True), f64(2, 3), id="min-keepdims"),
    # Broadcasting binary ops: gradients summed back to each input's shape.
    case("Add", tf.add, f64(2, 1), f64(1, 3), id="add-broadcast"),
    case("AddV2", lambda x, y: x + y, f64(2, 1), f64(1, 3), id="operator-broadcast"),
    case("AddV2", math_ops.add_v2, f64(2, 3), f64(2, 1), id="add_v2-broadcast"),
    case("Sub", tf.subtract, f64(2, 3), f64(3), id="sub-broadcast"),
    case("Mul", tf.multiply, f64(2, 3), f64(), id="mul-scalar"),
    case("RealDiv", tf.divide, f64(2, 3), f64(2, 1, low=0.5), id="div-broadcast"),
    case("Pow", tf.pow, f64(2, 3, low=0.5), f64(3), id="pow-broadcast"),
    case("Maximum", tf.maximum, f64(2, 3), f64(1, 3), id="maximum-broadcast"),
    case("Minimum", tf.minimum, f64(3), f64(2, 1), id="minimum-broadcast"),
    case("SquaredDifference", tf.squared_difference, f64(3), f64(2, 1),
         id="squared_difference-broadcast"),
    case("FloorMod", tf.floormod, f64(2, 3), f64(3, low=0.5), id="floormod-broadcast"),
    # Selection.
    case("Select", lambda c, x, y: tf.where(c > 0, x, y), f64(2, 3), f64(2, 3), f64(2, 3),
         id="where-computed-condition"),
    case("Select", lambda x, y: tf.where([True, False], x, y), f64(2, 3), f64(2, 3),
         id="where-row-condition"),
    case("UnsortedSegmentSum", lambda x: tf.unsorted_segment_sum(x, [0, 2, 0, 2], 4),
         f64(4, 2), id="unsorted_segment_sum-empty-segments"),
    # Linear algebra (outside the table: tested through the orthogonal initializer).
    case("Qr", lambda x: list(apply_op("Qr", [x], full_matrices=False)), f64(4, 3), id="qr"),
    case("MatrixDiagPart", lambda x: apply_op("MatrixDiagPart", [x]), f64(2, 3, 3),
         id="matrix_diag_part"),
    # The optimizers' merge of repeated IndexedSlices rows.
    case("DeduplicateIndexedSlices",
         lambda v: apply_op("DeduplicateIndexedSlices", [v, tf.constant([2, 0, 2, 1])])[0],
         f64(4, 2), id="deduplicate_indexed_slices"),
    # float32, and casts between float types (float32 tolerances).
    case("Cast", lambda x: tf.cast(x, tf.float32) * 2.0, f64(2, 3), id="cast-to-float32"),
    case("Cast", lambda x: tf.cast(x, tf.float64), f32(2, 3), id="cast-from-float32"),
    case(("Tanh", "MatMul"), lambda x, w: tf.tanh(tf.matmul(x, w)), f32(2, 3), f32(3, 2),
         id="float32-tanh-matmul"),
    # Second derivatives: the gradient of a gradient goes through VJP nodes.
    case("VJP", _second(lambda x: tf.reduce_sum(tf.tanh(tf.matmul(x, _W)))), f64(2, 3),
         id="second-tanh-matmul"),
    case("VJP", _second(lambda x: tf.reduce_sum(tf.nn.softmax(x) * [1.0, -2.0, 0.5])),
         f64(2, 3), id="second-softmax"),
    case("VJP", _second(lambda x: tf.reduce_sum(tf.sin(tf.gather(x, [0, 0, 2])))), f64(3, 2),
         id="second-through-indexed-slices"),
    # Complex inputs (see KNOWN_BUGS).
    case("Mul", lambda z: z * tf.constant(np.array([1j, 2 - 1j])), In((2,), np.complex128),
         id="complex-mul"),
]


@pytest.mark.parametrize("c", [_param(c, c.id) for c in CASES])
def test_case_gradient(c: Case):
    _check(c.build, _values(c.inputs, c.id, c.op_types[0], promote=False))


# -- gradients checked against numpy ----------------------------------------------------------


def test_hessians_of_a_quadratic_and_exponential_form_match_numpy():
    a = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0], [0.25, -2.0, 1.5]])
    xv = np.array([0.3, -0.7, 1.2])
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float64, [3])
        f = tf.reduce_sum(x * tf.reduce_sum(a * x, axis=1)) + tf.reduce_sum(tf.exp(x) * x)
        (h,) = tf.hessians(f, x)
    with tf.Session(graph=graph) as sess:
        got = sess.run(h, {x: xv})
    np.testing.assert_allclose(got, a + a.T + np.diag((2 + xv) * np.exp(xv)), rtol=1e-12)


def test_hessians_of_a_matrix_square_match_numpy():
    # f = sum(x @ x): d2f / dx[a,b] dx[c,d] = [c == b] + [d == a].
    xv = np.array([[0.5, -1.0], [2.0, 0.25]])
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float64, [2, 2])
        (h,) = tf.hessians(tf.reduce_sum(tf.matmul(x, x)), x)
    with tf.Session(graph=graph) as sess:
        got = sess.run(h, {x: xv})
    eye = np.eye(2)
    expected = np.einsum("cb,da->abcd", eye, np.ones((2, 2))) + np.einsum(
        "da,cb->abcd", eye, np.ones((2, 2)))
    np.testing.assert_array_equal(got, expected)


def test_gather_along_axis0_gives_indexed_slices_elsewhere_dense():
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float64, [3, 2])
        (rows,) = tf.gradients(tf.gather(x, [2, 0, 2]), x)
        (cols,) = tf.gradients(tf.gather(x, [1, 1], axis=1), x)
        dense = tf.convert_to_tensor(rows)
    assert isinstance(rows, tf.IndexedSlices) and isinstance(cols, tf.Tensor)
    with tf.Session(graph=graph) as sess:
        got_rows, got_cols = sess.run([dense, cols], {x: np.ones((3, 2))})
    np.testing.assert_array_equal(got_rows, [[1, 1], [0, 0], [2, 2]])
    np.testing.assert_array_equal(got_cols, [[0, 2]] * 3)


def test_stop_gradient_blocks_its_input():
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float64, [2])
        assert tf.gradients(tf.stop_gradient(x), x) == [None]
        (g,) = tf.gradients(tf.stop_gradient(x) * x, x)
    with tf.Session(graph=graph) as sess:
        np.testing.assert_array_equal(sess.run(g, {x: [3.0, -1.0]}), [3.0, -1.0])


def test_the_checker_catches_a_wrong_gradient():
    @tf.custom_gradient
    def square(x):
        return tf.square(x), lambda dy: dy * x  # should be 2 * x

    with pytest.raises(AssertionError, match="max abs error 1.5"):
        check_gradients(square, np.array([0.5, -1.5]))


def test_pow_gradient_for_the_exponent_skips_negative_bases():
    with tf.Graph().as_default() as graph:
        x, y = tf.placeholder(tf.float64, [2]), tf.placeholder(tf.float64, [])
        (gy,) = tf.gradients(tf.pow(x, y), y)
    with tf.Session(graph=graph) as sess:
        got = sess.run(gy, {x: [-1.5, 2.0], y: 3.0})
    np.testing.assert_allclose(got, 8 * np.log(2.0), rtol=1e-12)  # TF1: 5.545


def test_hessians_of_a_cube_at_negative_points():
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float64, [2])
        (h,) = tf.hessians(tf.reduce_sum(x**3), x)
    with tf.Session(graph=graph) as sess:
        got = sess.run(h, {x: [-1.5, 2.0]})
    np.testing.assert_array_equal(got, [[-9.0, 0.0], [0.0, 12.0]])


def _count_compiles(run: Callable) -> int:
    events = []

    def listen(event, duration, **kwargs):
        events.append(event)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        run()
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    return events.count("/jax/core/compile/backend_compile_duration")


@pytest.mark.parametrize("gradient", [
    lambda x: tf.gradients(tf.reduce_sum(tf.tanh(x)), x)[0],
    lambda x: tf.convert_to_tensor(tf.gradients(tf.gather(x, [1, 0]), x,
                                                grad_ys=tf.ones([2, 3], tf.float64))[0]),
], ids=["default-grad_ys", "densified-gather"])
def test_gradients_do_not_recompile_per_feed_value(gradient):
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float64, [2, 3])
        g = gradient(x)
    with tf.Session(graph=graph) as sess:
        sess.run(g, {x: np.zeros((2, 3))})
        compiles = _count_compiles(lambda: [sess.run(g, {x: np.full((2, 3), v)})
                                            for v in (1.0, 2.0, 3.0)])
    assert compiles == 0, f"{compiles} compiles for 3 runs of one plan"


# -- coverage ---------------------------------------------------------------------------------


def _checked() -> set[str]:
    rows = {r.op_type for r in ROWS if _row_skip(r) is None}
    return rows | {t for c in CASES for t in c.op_types} | _declared_elsewhere()


def _declared_elsewhere() -> set[str]:
    """Op types other test modules gradient-check (`GRADIENT_CHECKED`) or declare
    non-differentiable (`NOT_DIFFERENTIABLE`, a dict op type -> reason)."""
    root = pathlib.Path(__file__).resolve().parent.parent
    out: set[str] = set()
    for path in sorted(root.rglob("test_*.py")):
        if path.resolve() != pathlib.Path(__file__).resolve():
            dotted = ".".join(("tests",) + path.relative_to(root).with_suffix("").parts)
            module = importlib.import_module(dotted)
            out |= set(getattr(module, "GRADIENT_CHECKED", ()))
            out |= set(getattr(module, "NOT_DIFFERENTIABLE", {}))
    return out


def test_every_kernel_is_gradient_checked_or_skipped():
    registered, checked = set(registry.all_kernels()), _checked()
    missing = sorted(registered - checked - set(SKIPPED))
    assert not missing, (f"op types neither gradient-checked nor in SKIPPED ({__file__}): "
                         f"{missing}; add a row to ROWS or a case to CASES, or a skip reason")
    both = sorted(checked & set(SKIPPED))
    assert not both, f"op types both checked and in SKIPPED: {both}"
    stale = sorted(set(SKIPPED) - registered)
    assert not stale, f"remove these from SKIPPED (no such kernel): {stale}"


def test_known_bugs_name_existing_tests():
    ids = set(_ids(ROWS)) | {c.id for c in CASES}
    assert not set(KNOWN_BUGS) - ids, sorted(set(KNOWN_BUGS) - ids)
