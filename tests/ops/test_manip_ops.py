"""Index manipulation ops against numpy: roll, searchsorted, repeat, diag, unravel_index,
invert_permutation, ensure_shape, where_v2, batch_gather, max/min scatters; gradients."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import manip_ops as m
from tests.gradient_checker import check_gradients
from tests.ops.test_op_table import B, bools, check_rows_in_one_run, f32, i32, row

OP_TYPES_TESTED = {
    "Roll",
    "LowerBound",
    "UpperBound",
    "Diag",
    "DiagPart",
    "UnravelIndex",
    "InvertPermutation",
    "EnsureShape",
    "SelectV2",
    "TensorScatterMax",
    "TensorScatterMin",
}
GRADIENT_CHECKED = {
    "Roll",
    "Diag",
    "DiagPart",
    "EnsureShape",
    "SelectV2",
    "TensorScatterMax",
    "TensorScatterMin",
}
NOT_DIFFERENTIABLE = {
    t: "integer output (TF: NotDifferentiable)"
    for t in ("LowerBound", "UpperBound", "UnravelIndex", "InvertPermutation")
}

_SORTED = np.array([[-1.0, 0.0, 0.5, 1.5], [-2.0, -1.0, 1.0, 2.0]], np.float32)


def _search(side):
    return lambda v: np.stack([np.searchsorted(s, r, side) for s, r in zip(_SORTED, v)]).astype(
        np.int32
    )


def _np_diag(d):
    return np.diag(d.reshape(-1)).reshape(d.shape + d.shape)


def _repeat_rows(x):
    return np.repeat(x, [1, 0, 2], axis=1)


_PERM = np.array([3, 0, 4, 1, 2], np.int32)

ROWS = [
    row("Roll", lambda x: m.roll(x, 1, 0), lambda x: np.roll(x, 1, 0), f32(B, 3)),
    row(
        "Roll",
        lambda x: m.roll(x, [2, -1], [1, 0]),
        lambda x: np.roll(x, (2, -1), (1, 0)),
        i32(B, 3),
        id="two-axes",
    ),
    row(
        "Roll",
        lambda x: m.roll(x, [1, 1], [-1, -1]),
        lambda x: np.roll(x, 2, -1),
        f32(B, 3),
        id="repeated-axis",
    ),
    row(
        "LowerBound",
        lambda v: m.searchsorted(_SORTED, v),
        _search("left"),
        f32(2, 5),
        dtype=np.int32,
    ),
    row(
        "UpperBound",
        lambda v: m.searchsorted(_SORTED, v, side="right", out_type=tf.int64),
        lambda v: _search("right")(v).astype(np.int64),
        f32(2, 5),
        dtype=np.int64,
    ),
    row("Diag", m.diag, np.diag, f32(3)),
    row("Diag", m.diag, _np_diag, i32(2, 3), id="rank2"),
    row("DiagPart", lambda x: m.diag_part(m.diag(x)), lambda x: x, f32(2, 3)),
    row(
        "UnravelIndex",
        lambda i: m.unravel_index(i, [4, 5]),
        lambda i: np.stack(np.unravel_index(i, (4, 5))).astype(np.int32),
        i32(B, low=0, high=20),
    ),
    row(
        "InvertPermutation",
        lambda x: m.invert_permutation(x + _PERM),
        lambda x: np.argsort(_PERM).astype(np.int32),
        i32(5, low=0, high=1),
    ),
    row("EnsureShape", lambda x: m.ensure_shape(x, [None, 3]), lambda x: x, f32(B, 3)),
    row(
        "SelectV2",
        m.where_v2,
        lambda c, x, y: np.where(c, x, y),
        bools(B, 1),
        f32(1, 3),
        f32(B, 1),
        dtype=np.float32,
    ),
    row(
        "TensorScatterMax",
        lambda t: m.tensor_scatter_nd_max(t, [[0], [2], [0]], [[0.5] * 3, [-1.0] * 3, [1.0] * 3]),
        lambda t: np.maximum(t, [[1.0] * 3, [-np.inf] * 3, [-1.0] * 3]).astype(np.float32),
        f32(3, 3),
    ),
    row(
        "TensorScatterMin",
        lambda t: m.tensor_scatter_nd_min(t, [[1, 1]], [-5]),
        lambda t: np.where(np.arange(9).reshape(3, 3) == 4, np.minimum(t, -5), t),
        i32(3, 3),
    ),
    # Composites of existing ops.
    row(
        "GatherV2",
        lambda x: m.repeat(x, [1, 0, 2], axis=1),
        _repeat_rows,
        f32(B, 3),
        by_value=True,
        id="repeat",
    ),
    row(
        "GatherV2",
        lambda x: m.batch_gather(x, [[2, 0], [1, 1], [0, 0], [2, 2]][:1] * 4),
        lambda x: x[:, [2, 0]],
        f32(4, 3),
        id="batch_gather",
    ),
    row(
        "Pack",
        lambda x, y: m.parallel_stack([x, y]),
        lambda x, y: np.stack([x, y]),
        f32(B, 3),
        f32(B, 3),
        id="parallel_stack",
    ),
]


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


def test_table(sess):
    check_rows_in_one_run(sess, ROWS)


def test_repeat_flattens_without_axis_and_takes_scalar_repeats(sess):
    with sess.graph.as_default():
        outs = [m.repeat([[1, 2], [3, 4]], 2), m.repeat([[1, 2], [3, 4]], [2, 1], axis=-1)]
    got = sess.run(outs)
    assert got[0].tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert got[1].tolist() == [[1, 1, 2], [3, 3, 4]]


def test_ensure_shape_errors_name_the_op(sess):
    with sess.graph.as_default():
        with pytest.raises(ValueError, match="not compatible"):
            m.ensure_shape(tf.zeros([2, 3]), [3, 3])
        p = tf.placeholder(tf.float32, [None, None])
        checked = m.ensure_shape(p, [2, None])
    assert checked.shape.as_list() == [2, None]
    with pytest.raises(tf.errors.InvalidArgumentError, match="EnsureShape.*expected shape"):
        sess.run(checked, {p: np.zeros((3, 3))})


def test_where_v2_broadcasts_and_finds_true_elements(sess):
    with sess.graph.as_default():
        outs = [m.where_v2([[True], [False]], [1, 2, 3], 0), m.where_v2([[True, False]])]
        with pytest.raises(ValueError, match="both"):
            m.where_v2([True], [1])
    got = sess.run(outs)
    assert got[0].tolist() == [[1, 2, 3], [0, 0, 0]]
    assert got[1].tolist() == [[0, 0]]


def test_searchsorted_rejects_unknown_side():
    with pytest.raises(ValueError, match="side"):
        m.searchsorted([1, 2], [1], side="middle")


def test_gradients():
    x = np.random.default_rng(0).uniform(-2, 2, (3, 3))
    check_gradients(
        lambda x: [
            m.roll(x, [1, 2], [0, 1]),
            m.diag(x),
            m.diag_part(x[:2, :2]),
            m.ensure_shape(x, [3, None]),
            m.where_v2([[True], [False], [True]], x, -x),
            m.tensor_scatter_nd_max(x, [[0], [1]], tf.zeros([2, 3], x.dtype)),
            m.tensor_scatter_nd_min(x, [[2, 1]], tf.zeros([1], x.dtype)),
        ],
        x,
    )
