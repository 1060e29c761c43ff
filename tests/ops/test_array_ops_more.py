"""More array ops: split/unstack, slice, tile, pad, one_hot, gathers and scatters, reversal,
unique (host), top_k and sorting, broadcasting, linspace, bitcast, masks, partitions."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from tests.gradient_checker import check_gradients
from tests.ops.test_op_table import (
    B,
    In,
    _check_value,
    _compatible,
    _dims,
    _expected,
    _ids,
    _placeholder,
    _values,
    f32,
    i32,
    row,
    strs,
    test_row as _check_row,
)

OP_TYPES_TESTED = {
    "ShapeN",
    "Unpack",
    "Split",
    "SplitV",
    "Slice",
    "Tile",
    "Pad",
    "PadV2",
    "MirrorPad",
    "OneHot",
    "GatherNd",
    "BatchGatherNd",
    "ScatterNd",
    "TensorScatterUpdate",
    "TensorScatterAdd",
    "TensorScatterSub",
    "ReverseV2",
    "ReverseSequence",
    "Unique",
    "UniqueWithCounts",
    "ListDiff",
    "DynamicPartition",
    "DynamicStitch",
    "TopKV2",
    "BroadcastTo",
    "BroadcastArgs",
    "LinSpace",
    "Bitcast",
}
GRADIENT_CHECKED = {
    "Unpack",
    "Split",
    "SplitV",
    "Slice",
    "Tile",
    "Pad",
    "PadV2",
    "MirrorPad",
    "GatherNd",
    "BatchGatherNd",
    "ScatterNd",
    "TensorScatterUpdate",
    "TensorScatterAdd",
    "TensorScatterSub",
    "ReverseV2",
    "ReverseSequence",
    "TopKV2",
    "BroadcastTo",
    "OneHot",
    "LinSpace",
    "DynamicPartition",
    "DynamicStitch",
}
NOT_DIFFERENTIABLE = {
    "ShapeN": "an integer result from the inputs' shapes only",
    "Unique": "host op with data-dependent size (TF has no gradient for it)",
    "UniqueWithCounts": "host op with data-dependent size (TF has no gradient for it)",
    "ListDiff": "host op with data-dependent size; integer indices",
    "BroadcastArgs": "integer shapes in and out",
    "Bitcast": "reinterprets bits: not differentiable in TF",
}


def _i(*shape, low=0, high=3) -> In:
    return i32(*shape, low=low, high=high)


def _one_hot_ref(i, depth=4, axis=-1, on=1.0, off=0.0, dtype=np.float32):
    hot = i[..., None] == np.arange(depth)
    out = np.where(hot, on, off).astype(dtype)
    return np.moveaxis(out, -1, axis) if axis != -1 else out


def _reverse_sequence_ref(x, lengths, seq, batch):
    out = x.copy()
    for b, n in enumerate(lengths):
        src = np.take(x, b, axis=batch)
        s = seq - (seq > batch)
        idx = [slice(None)] * src.ndim
        idx[s] = slice(0, n)
        part = np.flip(src[tuple(idx)], s)
        dst = [slice(None)] * x.ndim
        dst[batch], dst[seq] = b, slice(0, n)
        out[tuple(dst)] = part
    return out


def _gather_batch_ref(p, i):
    return np.stack([p[b][:, i[b]] for b in range(len(p))])


ROWS = [
    row(
        "ShapeN",
        lambda x, y: tf.shape_n([x, y])[1],
        lambda x, y: np.array(y.shape, np.int32),
        f32(B, 3),
        f32(2, B, 1),
        dtype=np.int32,
        partial=(3,),
    ),
    row("Unpack", lambda x: tf.unstack(x, 3, axis=1)[2], lambda x: x[:, 2], f32(B, 3)),
    row(
        "Unpack",
        lambda x: tf.unstack(x, 2, axis=-2)[0],
        lambda x: x[:, 0, :],
        f32(B, 2, 3),
        id="negative-axis",
    ),
    row(
        "Unpack",
        lambda x: tf.unpack(x, 3, axis=1)[1],
        lambda x: x[:, 1],
        strs(B, 3),
        id="unpack-strings",
    ),
    row("Split", lambda x: tf.split(x, 3, axis=1)[1], lambda x: np.split(x, 3, 1)[1], f32(B, 6)),
    row(
        "Split",
        lambda x: tf.split(x, 2, axis=-1)[0],
        lambda x: np.split(x, 2, -1)[0],
        i32(B, 2, 4),
        id="negative-axis",
    ),
    row("SplitV", lambda x: tf.split(x, [1, -1, 2], axis=1)[1], lambda x: x[:, 1:4], f32(B, 6)),
    row(
        "SplitV",
        lambda x: tf.split(x, [2, 0, 1], 1)[1],
        lambda x: x[:, 2:2],
        f32(B, 3),
        id="empty-part",
    ),
    row("Slice", lambda x: tf.slice(x, [0, 1], [2, -1]), lambda x: x[0:2, 1:], f32(B, 3)),
    row(
        "Slice", lambda x: tf.slice(x, [0, 1], [-1, 1]), lambda x: x[:, 1:2], i32(B, 3), id="to-end"
    ),
    row("Tile", lambda x: tf.tile(x, [2, 3]), lambda x: np.tile(x, [2, 3]), f32(B, 2)),
    row("Tile", lambda x: tf.tile(x, [1, 0]), lambda x: np.tile(x, [1, 0]), i32(B, 2), id="zero"),
    row(
        "Tile", lambda x: tf.tile(x, [2, 1]), lambda x: np.tile(x, [2, 1]), strs(B, 2), id="strings"
    ),
    row(
        "Pad",
        lambda x: tf.pad(x, [[1, 2], [0, 1]]),
        lambda x: np.pad(x, [[1, 2], [0, 1]]),
        f32(B, 3),
    ),
    row(
        "PadV2",
        lambda x: tf.pad(x, [[1, 0], [2, 1]], constant_values=7),
        lambda x: np.pad(x, [[1, 0], [2, 1]], constant_values=7),
        i32(B, 3),
    ),
    row(
        "MirrorPad",
        lambda x: tf.pad(x, [[1, 1], [2, 1]], "REFLECT"),
        lambda x: np.pad(x, [[1, 1], [2, 1]], "reflect"),
        f32(B, 3),
    ),
    row(
        "MirrorPad",
        lambda x: tf.pad(x, [[2, 0], [3, 3]], "symmetric"),
        lambda x: np.pad(x, [[2, 0], [3, 3]], "symmetric"),
        f32(B, 3),
        id="symmetric",
    ),
    row(
        "OneHot",
        lambda i: tf.one_hot(i, 4),
        _one_hot_ref,
        i32(B, 2, low=-1, high=5),
        dtype=np.float32,
    ),
    row(
        "OneHot",
        lambda i: tf.one_hot(i, 4, on_value=5, off_value=-1, axis=0),
        lambda i: _one_hot_ref(i, axis=0, on=5, off=-1, dtype=np.int32),
        _i(B, 2, high=4),
        dtype=np.int32,
        id="axis0-int",
    ),
    row(
        "OneHot",
        lambda i: tf.one_hot(i, 3, axis=1, dtype=tf.float64),
        lambda i: _one_hot_ref(i, 3, axis=1, dtype=np.float64),
        _i(B, 2),
        dtype=np.float64,
        id="axis1-dtype",
    ),
    row(
        "GatherNd",
        lambda x: tf.gather_nd(x, [[1, 0], [0, 2]]),
        lambda x: x[[1, 0], [0, 2]],
        f32(B, 3),
    ),
    row(
        "GatherNd",
        lambda x, i: tf.gather_nd(x, i),
        lambda x, i: x[i[..., 0]],
        f32(3, B),
        _i(B, 2, 1),
        partial=(None, 2, None),
    ),
    row(
        "BatchGatherNd",
        lambda p, i: tf.gather_nd(p, i, batch_dims=1),
        lambda p, i: np.stack([p[b][i[b][..., 0]] for b in range(len(p))]),
        f32(B, 3, 2),
        _i(B, 2, 1),
    ),
    row(
        "GatherV2",
        lambda p, i: tf.gather(p, i, axis=2, batch_dims=1),
        _gather_batch_ref,
        f32(B, 2, 3),
        _i(B, 2),
        id="batch_dims",
    ),
    row(
        "GatherV2",
        lambda p, i: tf.gather(p, i, axis=-1, batch_dims=-1),
        _gather_batch_ref,
        f32(B, 2, 3),
        _i(B, 2),
        id="batch_dims-negative",
    ),
    row(
        "ScatterNd",
        lambda u: tf.scatter_nd([[1], [3], [1]], u, [5, 2]),
        lambda u: np.stack([0 * u[0], u[0] + u[2], 0 * u[0], u[1], 0 * u[0]]),
        f32(3, 2),
    ),
    row(
        "TensorScatterUpdate",
        lambda t: tf.tensor_scatter_nd_update(t, [[1], [0]], [[7.0] * 3, [8.0] * 3]),
        lambda t: np.concatenate([[[8] * 3], [[7] * 3], t[2:]]).astype(np.float32),
        f32(B, 3),
    ),
    row(
        "TensorScatterAdd",
        lambda t: tf.tensor_scatter_add(t, [[0, 1], [0, 1]], [1, 2]),
        lambda t: t + np.pad([[0, 3]], [[0, len(t) - 1], [0, 1]]).astype(t.dtype),
        i32(B, 3),
    ),
    row(
        "TensorScatterSub",
        lambda t: tf.tensor_scatter_nd_sub(t, [[1, 2]], [1.5]),
        lambda t: t - np.pad([[1.5]], [[1, len(t) - 2], [2, 0]]).astype(t.dtype),
        f32(B, 3),
    ),
    row("ReverseV2", lambda x: tf.reverse(x, [1]), lambda x: x[:, ::-1], f32(B, 3)),
    row(
        "ReverseV2",
        lambda x: tf.reverse_v2(x, [0, -1]),
        lambda x: x[::-1, :, ::-1],
        i32(B, 2, 3),
        id="negative-axis",
    ),
    row("ReverseV2", lambda x: tf.reverse(x, [1]), lambda x: x[:, ::-1], strs(B, 3), id="strings"),
    row(
        "ReverseSequence",
        lambda x, n: tf.reverse_sequence(x, n, seq_axis=1),
        lambda x, n: _reverse_sequence_ref(x, n, 1, 0),
        f32(B, 4, 2),
        _i(B, high=5),
    ),
    row(
        "ReverseSequence",
        lambda x, n: tf.reverse_sequence(x, n, seq_dim=0, batch_dim=2),
        lambda x, n: _reverse_sequence_ref(x, n, 0, 2),
        f32(4, 2, B),
        _i(B, high=5),
        id="batch-after-seq",
    ),
    row("TopKV2", lambda x: tf.nn.top_k(x, 2).values, lambda x: -np.sort(-x, -1)[:, :2], f32(B, 5)),
    row(
        "TopKV2",
        lambda x: tf.nn.top_k(x, 3)[1],
        lambda x: np.argsort(-x, -1, kind="stable")[:, :3].astype(np.int32),
        _i(B, 5),
        dtype=np.int32,
        id="ties-indices",
    ),
    row("TopKV2", lambda x: tf.sort(x), lambda x: np.sort(x, -1), f32(B, 3), id="sort"),
    row(
        "TopKV2",
        lambda x: tf.sort(x, direction="DESCENDING"),
        lambda x: -np.sort(-x, -1),
        i32(B, 3),
        id="sort-descending",
    ),
    row(
        "TopKV2",
        lambda x: tf.argsort(x),
        lambda x: np.argsort(x, -1, kind="stable").astype(np.int32),
        _i(B, 5),
        dtype=np.int32,
        id="argsort-stable",
    ),
    row(
        "BroadcastTo",
        lambda x: tf.broadcast_to(x, [2, 4, 3]),
        lambda x: np.broadcast_to(x, (2, 4, 3)),
        f32(4, 1),
    ),
    row(
        "BroadcastTo",
        lambda x, y: tf.meshgrid(x, y)[0],
        lambda x, y: np.meshgrid(x, y)[0],
        f32(B),
        f32(2),
        partial=(2, None),
        id="meshgrid-xy",
    ),  # TF's static shape
    row(
        "BroadcastTo",
        lambda x, y, z: tf.meshgrid(x, y, z, indexing="ij")[2],
        lambda x, y, z: np.meshgrid(x, y, z, indexing="ij")[2],
        i32(B),
        i32(2),
        i32(3),
        partial=(None, 2, 3),
        id="meshgrid-ij",
    ),  # TF's static shape
    row(
        "BroadcastArgs",
        lambda x, y: tf.broadcast_dynamic_shape(tf.shape(x), tf.shape(y)),
        lambda x, y: np.array(np.broadcast_shapes(x.shape, y.shape), np.int32),
        f32(B, 1),
        f32(3),
        dtype=np.int32,
        partial=(2,),
    ),
    row(
        "LinSpace",
        lambda a, b: tf.linspace(a, b, 5),
        lambda a, b: np.linspace(a, b, 5).astype(np.float32),
        f32(),
        f32(),
    ),
    row(
        "Bitcast",
        lambda x: tf.bitcast(x, tf.int32),
        lambda x: x.view(np.int32),
        f32(B, 3),
        dtype=np.int32,
    ),
    row(
        "Bitcast",
        lambda x: tf.bitcast(x, tf.uint8),
        lambda x: x.view(np.uint8).reshape(x.shape + (4,)),
        i32(B, 2),
        dtype=np.uint8,
        id="narrower",
    ),
    row(
        "Bitcast",
        lambda x: tf.bitcast(tf.bitcast(x, tf.uint8), tf.float32),
        lambda x: x,
        f32(B, 2),
        id="round-trip",
    ),
    row(
        "Less",
        lambda n: tf.sequence_mask(n, 4),
        lambda n: np.arange(4) < n[:, None],
        _i(B, high=6),
        dtype=np.bool_,
        id="sequence_mask",
    ),
    row(
        "Cast",
        lambda n: tf.sequence_mask(n, dtype=tf.float32),
        lambda n: (np.arange(n.max()) < n[:, None]).astype(np.float32),
        _i(B, high=6),
        dtype=np.float32,
        by_value=True,
        id="sequence_mask-maxlen",
    ),
    row(
        "Cast",
        lambda x: tf.saturate_cast(x, tf.uint8),
        lambda x: np.clip(x, 0, 255).astype(np.uint8),
        i32(B, 3, low=-300, high=300),
        dtype=np.uint8,
        id="saturate_cast",
    ),
]

# Host ops: the output size depends on values, unknown even for constant inputs (as in TF1).
HOST_ROWS = [
    row(
        "Unique",
        lambda x: tf.unique(x).y,
        lambda x: _unique_ref(x)[0],
        _i(B, high=3),
        by_value=True,
    ),
    row(
        "Unique",
        lambda x: tf.unique(x, out_idx=tf.int64)[1],
        lambda x: _unique_ref(x)[1].astype(np.int64),
        _i(B, high=3),
        dtype=np.int64,
        by_value=True,
        id="idx",
    ),
    row(
        "UniqueWithCounts",
        lambda x: tf.unique_with_counts(x).count,
        lambda x: _unique_ref(x)[2],
        _i(B, high=3),
        by_value=True,
    ),
    row(
        "ListDiff",
        lambda x, y: tf.setdiff1d(x, y).out,
        lambda x, y: x[~np.isin(x, y)],
        _i(B, high=5),
        _i(2, high=5),
        by_value=True,
    ),
    row(
        "ListDiff",
        lambda x, y: tf.setdiff1d(x, y)[1],
        lambda x, y: np.flatnonzero(~np.isin(x, y)).astype(np.int32),
        _i(B, high=5),
        _i(2, high=5),
        dtype=np.int32,
        by_value=True,
        id="idx",
    ),
    row(
        "DynamicPartition",
        lambda x, p: tf.dynamic_partition(x, p, 2)[1],
        lambda x, p: x[p == 1],
        f32(B, 2),
        _i(B, high=2),
        by_value=True,
    ),
    row(
        "DynamicStitch",
        lambda x, y: tf.dynamic_stitch([[0, 2], [1]], [x, y]),
        lambda x, y: np.stack([x[0], y[0], x[1]]),
        f32(2, 3),
        f32(1, 3),
        by_value=True,
    ),
]


def _unique_ref(x):
    y, first, inverse, counts = np.unique(
        x, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(first)
    rank = np.argsort(order)
    return y[order], rank[inverse].astype(np.int32), counts[order].astype(np.int32)


@pytest.fixture(scope="module")
def sess():
    with tf.Session(graph=tf.Graph()) as session:
        yield session


@pytest.mark.parametrize("r", ROWS, ids=_ids(ROWS))
def test_row(r, sess):
    _check_row(r, sess)


@pytest.mark.parametrize("r", HOST_ROWS, ids=_ids(HOST_ROWS))
def test_host_row(r, sess):
    values = _values(r, 4)
    with sess.graph.as_default():
        fed = [_placeholder(s, 4) for s in r.inputs]
        partial = [_placeholder(s, None) for s in r.inputs]
        outs = [r.build(*fed), r.build(*[tf.constant(v) for v in values]), r.build(*partial)]
    assert outs[0].op.type == r.op_type
    got = sess.run(outs, {**dict(zip(fed, values)), **dict(zip(partial, values))})
    expected, dtype = _expected(r, values)
    for t, value in zip(outs, got):
        _check_value(value, expected, dtype)
        assert t.dtype == tf.as_dtype(dtype) and _compatible(_dims(t), expected.shape)
        assert _dims(t) is not None and len(_dims(t)) == expected.ndim  # the rank is known


# -- host and xla ops in one run ---------------------------------------------------------------


def test_unique_between_compiled_ops_runs_as_three_segments():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.int32, [None])
        y, idx = tf.unique(x * 2)
        out = tf.reduce_sum(y) + tf.cast(tf.reduce_sum(tf.one_hot(idx, 4)), tf.int32)
        with tf.Session() as sess:
            assert sess.run(out, {x: [3, 1, 3, 2]}) == 12 + 4
            kinds = [s.kind for s in next(iter(sess._runs.values())).plan.segments]
    assert kinds == ["xla", "host", "xla"]


# -- gradients (float64, against finite differences) ------------------------------------------

_X = np.arange(12, dtype=np.float64).reshape(3, 4) / 7 - 0.5


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: tf.unstack(x, axis=1),
        lambda x: tf.split(x, 2, axis=1),
        lambda x: tf.split(x, [1, -1], axis=0),
        lambda x: tf.slice(x, [1, 1], [-1, 2]),
        lambda x: tf.tile(x, [2, 1]),
        lambda x: tf.pad(x, [[1, 0], [0, 2]]),
        lambda x: tf.pad(x, [[1, 0], [0, 2]], constant_values=3.0),
        lambda x: tf.pad(x, [[1, 1], [2, 3]], "REFLECT"),
        lambda x: tf.pad(x, [[1, 1], [2, 3]], "SYMMETRIC"),
        lambda x: tf.gather_nd(x, [[1, 2], [0, 0], [1, 2]]),
        lambda x: tf.scatter_nd([[1], [3], [1]], x, [5, 4]),
        lambda x: tf.tensor_scatter_nd_update(x, [[1, 2]], [5.0]),
        lambda x: tf.tensor_scatter_nd_add(x, [[0], [0]], x[:2]),
        lambda x: tf.tensor_scatter_nd_sub(x, [[2]], x[:1]),
        lambda x: tf.reverse(x, [0, 1]),
        lambda x: tf.reverse_sequence(x, [2, 4, 0], seq_axis=1),
        lambda x: tf.nn.top_k(x, 2).values,
        lambda x: tf.broadcast_to(x[:1], [2, 3, 4]),
        lambda x: tf.one_hot([0, 2], 3, on_value=x[0, 0], off_value=x[1, 1]),
        lambda x: tf.linspace(x[0, 0], x[1, 1], 4),
        lambda x: tf.gather(
            tf.reshape(x, [3, 2, 2]), [[1, 0], [1, 1], [0, 0]], axis=2, batch_dims=1
        ),
    ],
    ids=[
        "unstack",
        "split",
        "splitv",
        "slice",
        "tile",
        "pad",
        "padv2",
        "reflect",
        "symmetric",
        "gather_nd",
        "scatter_nd",
        "scatter_update",
        "scatter_add",
        "scatter_sub",
        "reverse",
        "reverse_sequence",
        "top_k",
        "broadcast_to",
        "one_hot",
        "linspace",
        "gather-batch_dims",
    ],
)
def test_gradients(fn):
    check_gradients(fn, _X)


# -- TF1 edge cases and errors -----------------------------------------------------------------


def test_edge_cases_values(sess):
    with sess.graph.as_default():
        empty = tf.zeros([0, 3])
        outs = {
            "split_empty": tf.split(empty, 3, axis=1)[0],
            "tile_empty": tf.tile(empty, [2, 2]),
            "nan_top_k": tf.nn.top_k([1.0, np.nan, 3.0], 2).values,
            "one_hot_neg": tf.one_hot([-1, 1], 2),
            "gather_nd_scalar": tf.gather_nd([[1, 2], [3, 4]], [1, 1]),
            "gather_nd_rows": tf.gather_nd([[1, 2], [3, 4]], [[1]]),
            "bcast_static": tf.broadcast_static_shape(
                tf.TensorShape([None, 1, 3]), tf.TensorShape([4, 1])
            ).as_list(),
            "mask_2d": tf.sequence_mask([[1, 2], [0, 3]], 3),
            "unique_empty": tf.unique(tf.zeros([0], tf.int32)).y,
            "stitch_overwrite": tf.dynamic_stitch([[0, 1], [1]], [[1.0, 2.0], [9.0]]),
            "linspace_one": tf.lin_space(2.0, 5.0, 1),
        }
        bcast = outs.pop("bcast_static")
        a, b = tf.shape_n([tf.zeros([2, 3]), tf.zeros([4])], out_type=tf.int64)
        assert a.dtype == tf.int64 and a.shape.as_list() == [2]
    got = sess.run(outs)
    assert bcast == [None, 4, 3]
    assert got["split_empty"].shape == (0, 1) and got["tile_empty"].shape == (0, 6)
    # TF's top_k treats NaN as larger than every number.
    assert np.isnan(got["nan_top_k"][0]) and got["nan_top_k"][1] == 3.0
    assert got["one_hot_neg"].tolist() == [[0.0, 0.0], [0.0, 1.0]]
    assert got["gather_nd_scalar"] == 4 and got["gather_nd_rows"].tolist() == [[3, 4]]
    assert got["mask_2d"].tolist() == [
        [[True, False, False], [True, True, False]],
        [[False, False, False], [True, True, True]],
    ]
    assert got["unique_empty"].shape == (0,)
    assert got["stitch_overwrite"].tolist() == [1.0, 9.0]
    assert got["linspace_one"].tolist() == [2.0]


def test_names_and_multi_outputs():
    with tf.Graph().as_default():
        parts = tf.split(tf.zeros([4, 6]), [2, -1], axis=1, name="cut")
        assert [p.shape.as_list() for p in parts] == [[4, 2], [4, 4]]
        assert parts[1].name == "cut:1" and parts[0].op.type == "SplitV"
        assert tf.unstack(tf.zeros([2, 3]))[1].name == "unstack:1"
        assert tf.one_hot([1], 2).op.name == "one_hot"
        assert tf.sequence_mask([1], 2).op.name.startswith("SequenceMask")
        values, indices = tf.nn.top_k(tf.zeros([3, 5]), 2)
        assert indices.dtype == tf.int32 and values.shape.as_list() == [3, 2]
        assert tf.pack is tf.stack and tf.unpack is tf.unstack


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: tf.unstack(tf.placeholder(tf.float32, [None, 2])), ValueError, "Cannot infer num"),
        (
            lambda: tf.split(tf.zeros([4, 3]), 2, axis=1),
            ValueError,
            "(?s)evenly divisible by 2 but is 3.*'Split'",
        ),
        (lambda: tf.split(tf.zeros([4, 3]), [1, 1], axis=1), ValueError, "'SplitV'"),
        (lambda: tf.split(tf.zeros([4, 3]), [-1, -1, 1], axis=1), ValueError, "at most one -1"),
        (lambda: tf.slice(tf.zeros([4, 3]), [0, 2], [1, 2]), ValueError, "'Slice'"),
        (lambda: tf.pad(tf.zeros([2, 3]), [[0, 0], [3, 0]], "REFLECT"), ValueError, "'MirrorPad'"),
        (lambda: tf.pad(tf.zeros([2]), [[0, 1]], "WRAP"), ValueError, "Unknown padding mode"),
        (lambda: tf.one_hot([1], 2, on_value=1, dtype=tf.float32), TypeError, "on_value"),
        (lambda: tf.one_hot([1], 2, axis=3), ValueError, "axis"),
        (lambda: tf.reverse(tf.zeros([2, 3]), [0, -2]), ValueError, "more than once"),
        (
            lambda: tf.nn.top_k(tf.zeros([2, 3]), 4),
            ValueError,
            "last dimension >= k = 4 but is 3.*'TopKV2'",
        ),
        (lambda: tf.broadcast_to(tf.zeros([3]), [2, 4]), ValueError, "'BroadcastTo'"),
        (lambda: tf.broadcast_static_shape([2], [3]), ValueError, "Incompatible shapes"),
        (lambda: tf.tile(tf.zeros([2, 3]), [2]), ValueError, "'Tile'"),
        (
            lambda: tf.gather(tf.zeros([2, 3]), [[0]], axis=0, batch_dims=1),
            ValueError,
            "batch_dims",
        ),
        (lambda: tf.gather_nd(tf.zeros([2, 3]), [[0, 1, 2]]), ValueError, "'GatherNd'"),
        (lambda: tf.meshgrid([1], indexing="yx"), ValueError, "indexing"),
        (lambda: tf.sort([3, 1], direction="UP"), ValueError, "Unknown direction"),
    ],
)
def test_build_errors(build, error, match):
    with tf.Graph().as_default(), pytest.raises(error, match=match):
        build()


def test_run_time_errors(sess):
    with sess.graph.as_default():
        x = tf.placeholder(tf.float32, [None])
        p = tf.placeholder(tf.int32, [None])
        parts = tf.dynamic_partition(x, p, 2)
        s = tf.unique(tf.placeholder(tf.int32, None))
    with pytest.raises(tf.errors.InvalidArgumentError, match="DynamicPartition.*not in"):
        sess.run(parts, {x: [1.0, 2.0], p: [0, 5]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unique.*1D"):
        sess.run(s.y, {s.y.op.inputs[0]: [[1, 2]]})


def test_namedtuple_results_fetch_as_namedtuples():
    with tf.Graph().as_default():
        top = tf.nn.top_k([1.0, 3.0, 2.0], 2)
        uniq = tf.unique([4, 4, 5])
        with tf.Session() as sess:
            got_top, got_uniq = sess.run([top, uniq])
    assert got_top.values.tolist() == [3.0, 2.0] and got_top.indices.tolist() == [1, 2]
    assert got_uniq.y.tolist() == [4, 5] and got_uniq.idx.tolist() == [0, 0, 1]


def test_dynamic_partition_and_stitch_gradients():
    # TF1's hand-written gradients: partitions stitched back; each stitched input gathered.
    check_gradients(
        lambda x: tf.dynamic_partition(x, [0, 1, 0, 1], 2)[1] * 3.0, np.arange(8.0).reshape(4, 2)
    )
    check_gradients(
        lambda x, y: tf.dynamic_stitch([[0, 2], [1]], [x, y]) ** 2,
        np.array([[1.0], [2.0]]),
        np.array([[3.0]]),
    )


def test_gather_nd_with_batch_dims():
    params = np.arange(24.0).reshape(2, 3, 4)
    indices = np.array([[[1], [2]], [[0], [0]]])  # per batch element: rows of that element
    expected = np.stack([params[b][indices[b][:, 0]] for b in range(2)])
    with tf.Graph().as_default():
        out = tf.gather_nd(params, indices, batch_dims=1)
        assert out.shape.as_list() == [2, 2, 4]
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(out), expected)
    check_gradients(lambda p: tf.gather_nd(p, indices, batch_dims=1) * 2.0, params)


def test_tile_and_fills_pack_lists_mixing_ints_and_scalar_tensors():
    # TF1 packs `[tf.shape(x)[0], 1]` into one tensor wherever a shape or multiples go.
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2])
        tiled = tf.tile(tf.constant([[1, 2]]), [tf.shape(x)[0], 1])
        zeros = tf.zeros([tf.shape(x)[0], 2])
        ones = tf.ones([tf.shape(x)[0], 3], tf.int32)
        assert zeros.shape.as_list() == [None, 2] and ones.shape.as_list() == [None, 3]
        with tf.Session() as sess:
            got = sess.run([tiled, zeros, ones], {x: np.ones([3, 2])})
    np.testing.assert_array_equal(got[0], [[1, 2]] * 3)
    np.testing.assert_array_equal(got[1], np.zeros([3, 2]))
    np.testing.assert_array_equal(got[2], np.ones([3, 3]))


def test_shape_lists_holding_int64_tensors_pack_as_int64():
    # TF packs `[x]` of an int64 `x` as an int64 shape; it was converted to int32 and refused.
    with tf.Graph().as_default():
        x = tf.constant(3, tf.int64)
        filled, zeros = tf.fill([x], x), tf.zeros([2, x])
        reshaped = tf.reshape(tf.range(6), [x, -1])
        assert filled.op.inputs[0].dtype == tf.int64
        assert zeros.shape.as_list() == [2, 3] and reshaped.shape.as_list() == [3, 2]
        with tf.Session() as sess:
            got = sess.run([filled, zeros, reshaped, tf.broadcast_to(1, [x])])
    assert got[0].tolist() == [3, 3, 3] and got[1].shape == (2, 3)
    assert got[2].tolist() == [[0, 1], [2, 3], [4, 5]] and got[3].tolist() == [1, 1, 1]


def test_reshape_infers_a_minus_one_beside_a_zero_as_tf_does():
    # TF 2.21's Reshape kernel: zero dims count on neither side, so [2, 0] -> [0, -1] is
    # [0, 2]; a -1 that does not divide is TF's error text.
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, None])
        empty, split = tf.reshape(x, [0, -1]), tf.reshape(x, [5, -1])
        with tf.Session() as sess:
            assert sess.run(empty, {x: np.zeros((2, 0))}).shape == (0, 2)
            assert sess.run(split, {x: np.zeros((5, 2))}).shape == (5, 2)
            with pytest.raises(
                tf.errors.InvalidArgumentError,
                match="Input to reshape is a tensor with 24 values, but the requested shape "
                "requires a multiple of 5",
            ):
                sess.run(split, {x: np.zeros((4, 6))})


def test_fill_of_unknown_rank_keeps_the_dims_its_shape_tensor_gives():
    # The shape tensor's length is known (a stack of two scalars of unknown shape), the
    # result's rank from the op alone is not: TF's shape function gives [?, ?].
    with tf.Graph().as_default(), tf.Session() as sess:
        u = tf.placeholder(tf.int32)
        filled = tf.fill(tf.stack([u, u]), 1.0)
        assert filled.shape.as_list() == [None, None]
        np.testing.assert_array_equal(sess.run(filled, {u: 2}), np.ones([2, 2]))
