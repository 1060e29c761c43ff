"""Tests of `slice_spec` against the StridedSlice arguments TF1's _slice_helper builds."""

from __future__ import annotations

import importlib
import importlib.util
import pathlib
import sys
from types import ModuleType

import numpy as np
import pytest

E = Ellipsis
_ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load_slicing() -> ModuleType:
    # flowgraph/__init__.py may import modules other engineers are still writing; if importing
    # through the package fails, load the file on its own.
    try:
        return importlib.import_module("flowgraph.ops.slicing")
    except ImportError:
        spec = importlib.util.spec_from_file_location("_standalone_flowgraph_ops_slicing",
                                                      _ROOT / "flowgraph/ops/slicing.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module


slice_spec = _load_slicing().slice_spec


def _masks(begin=0, end=0, ellipsis=0, new_axis=0, shrink=0) -> dict[str, int]:
    return {"begin_mask": begin, "end_mask": end, "ellipsis_mask": ellipsis,
            "new_axis_mask": new_axis, "shrink_axis_mask": shrink}


# (index, begin, end, strides, masks) as TF1 produces them.
CASES = [
    (1, [1], [2], [1], _masks(shrink=0b1)),
    (-1, [-1], [0], [1], _masks(shrink=0b1)),
    (np.int64(2), [2], [3], [1], _masks(shrink=0b1)),
    (np.array(3), [3], [4], [1], _masks(shrink=0b1)),
    (slice(None), [0], [0], [1], _masks(begin=0b1, end=0b1)),
    (slice(2, -1), [2], [-1], [1], _masks()),
    (slice(None, 3), [0], [3], [1], _masks(begin=0b1)),
    (slice(None, None, -1), [0], [0], [-1], _masks(begin=0b1, end=0b1)),
    (slice(5, None, -2), [5], [0], [-2], _masks(end=0b1)),
    (slice(1, sys.maxsize), [1], [0], [1], _masks(end=0b1)),
    (slice(np.int32(1), np.int64(5), np.int16(2)), [1], [5], [2], _masks()),
    (slice(0, 4, 0), [0], [4], [0], _masks()),
    ((slice(1, None), slice(None, None, 2)), [1, 0], [0, 0], [1, 2], _masks(0b10, 0b11)),
    ((E, 0), [0, 0], [0, 1], [1, 1], _masks(ellipsis=0b1, shrink=0b10)),
    (E, [0], [0], [1], _masks(ellipsis=0b1)),
    (None, [0], [0], [1], _masks(new_axis=0b1)),
    ((slice(None), None), [0, 0], [0, 0], [1, 1], _masks(0b1, 0b1, new_axis=0b10)),
    ((None, E, None, -2, slice(1, 3)), [0, 0, 0, -2, 1], [0, 0, 0, -1, 3], [1, 1, 1, 1, 1],
     _masks(ellipsis=0b10, new_axis=0b101, shrink=0b1000)),
    ((0, slice(None, -1), E, slice(None, None, 3)), [0, 0, 0, 0], [1, -1, 0, 0], [1, 1, 1, 3],
     _masks(begin=0b1010, end=0b1000, ellipsis=0b100, shrink=0b1)),
    ([1, 2], [1, 2], [2, 3], [1, 1], _masks(shrink=0b11)),
    ((), [], [], [], _masks()),
]


@pytest.mark.parametrize("index, begin, end, strides, masks", CASES,
                         ids=[repr(c[0]).replace(" ", "") for c in CASES])
def test_matches_tf1(index, begin, end, strides, masks):
    got_begin, got_end, got_strides, got_masks = slice_spec(index)
    assert got_begin == begin
    assert got_end == end
    assert got_strides == strides
    assert got_masks == masks


def test_values_are_python_ints():
    begin, end, strides, masks = slice_spec((np.int64(1), slice(np.int32(0), np.int8(3))))
    for value in [*begin, *end, *strides, *masks.values()]:
        assert type(value) is int


def test_mask_keys_are_in_op_attribute_order():
    assert list(slice_spec(0)[3]) == ["begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                      "shrink_axis_mask"]


@pytest.mark.parametrize("index, bad", [
    (1.5, 1.5),
    ("a", "a"),
    ((0, "x"), "x"),
    (slice(0.5, None), 0.5),
    (slice(None, 2.0), 2.0),
    (slice(None, None, 1.0), 1.0),
    (True, True),
    ((0, np.True_), np.True_),
    (np.array([1, 2]), np.array([1, 2])),
    (np.float32(2.0), np.float32(2.0)),
])
def test_invalid_index_type(index, bad):
    message = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
               f"tf.int32/tf.int64 tensors are valid indices, got {bad!r}")
    with pytest.raises(TypeError) as error:
        slice_spec(index)
    assert str(error.value) == message


def test_indexing_with_run_time_tensors():
    # x[i] with a scalar tensor known only at run time (a loop counter, a fed index).
    import flowgraph as tf

    a = np.arange(24.0).reshape(2, 3, 4)
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.constant(a)
        i = tf.placeholder(tf.int32, [])
        j = tf.placeholder(tf.int64, [])
        cases = [
            (x[i], {i: 1}, a[1]),
            (x[1, j], {j: 2}, a[1, 2]),
            (x[:, j, 1:3], {j: 0}, a[:, 0, 1:3]),
            (x[i, :, j], {i: 1, j: 3}, a[1, :, 3]),
        ]
        for tensor, feed, expected in cases:
            np.testing.assert_array_equal(sess.run(tensor, feed), expected)
        with pytest.raises(TypeError, match="valid indices"):
            x[tf.placeholder(tf.float32, [])]
        with pytest.raises(TypeError, match="tf.gather"):
            x[i, ...]


def test_slice_bounds_given_as_tensors():
    # x[a:b:c] with scalar integer tensors, packed into StridedSlice's begin/end/strides as
    # TF packs them: fed, computed from shapes, or a loop's values (the loop then runs op
    # by op, as each step's slice has its own shape).
    import flowgraph as tf

    a = np.arange(24.0).reshape(4, 6)
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.constant(a)
        n = tf.placeholder(tf.int32, [])
        step = tf.placeholder(tf.int32, [])
        m = tf.shape(x)[1] - 2
        cases = [
            (x[:n], {n: 3}, a[:3], [None, 6]),
            (x[1:, n::step], {n: 1, step: 2}, a[1:, 1::2], [3, None]),
            (x[:, 1:m], {}, a[:, 1:4], [4, 3]),
        ]
        for tensor, feed, expected, shape in cases:
            # TF's shapes; ours leaves the whole shape unknown where a bound is a tensor.
            assert tensor.shape.is_compatible_with(shape)
            assert tensor.shape.ndims == len(shape)
            np.testing.assert_array_equal(sess.run(tensor, feed), expected)

        def body(i, total):
            t = i + 1
            return t, total + tf.reduce_sum(x[:t, : 2 * t])

        _, total = tf.while_loop(lambda i, _: i < 3, body, [0, tf.constant(0.0, tf.float64)])
        assert sess.run(total) == sum(a[:t, : 2 * t].sum() for t in (1, 2, 3))
