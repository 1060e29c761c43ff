"""Tests of the StridedSlice kernel against numpy's own basic indexing."""

from __future__ import annotations

import importlib
import importlib.util
import pathlib
import sys
from types import ModuleType

import jax
import jax.numpy as jnp
import numpy as np
import pytest

E = Ellipsis
_ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load(name: str, relative_path: str) -> ModuleType:
    # The package __init__ files (kernels/, flowgraph/) import modules other engineers are
    # still writing; if importing through the package fails, load the file on its own.
    try:
        return importlib.import_module(name)
    except ImportError:
        spec = importlib.util.spec_from_file_location(f"_standalone_{name.replace('.', '_')}",
                                                      _ROOT / relative_path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module


_kernel = _load("kernels.strided_slice", "kernels/strided_slice.py")
_slicing = _load("flowgraph.ops.slicing", "flowgraph/ops/slicing.py")
strided_slice = _kernel.strided_slice
strided_slice_shape = _kernel.strided_slice_shape
slice_spec = _slicing.slice_spec

# (input shape, Python index) pairs; every one is compared against numpy's `x[index]`.
CASES = [
    # Integers.
    ((5,), 0), ((5,), 4), ((5,), -1), ((5,), -5),
    ((3, 4), 1), ((3, 4), (1, 2)), ((3, 4), (-1, -4)), ((2, 3, 4), (1, -2, 3)),
    # Slices: negative, zero-length, reversed and out-of-range bounds.
    ((5,), slice(None)), ((5,), slice(1, 3)), ((5,), slice(-3, -1)), ((5,), slice(-3, None)),
    ((5,), slice(None, -2)), ((5,), slice(2, 2)), ((5,), slice(3, 1)), ((5,), slice(-1, -3)),
    ((5,), slice(-100, 100)), ((5,), slice(7, 10)), ((5,), slice(-10, -7)),
    ((5,), slice(100, None)), ((5,), slice(None, -100)), ((0,), slice(None)),
    ((0,), slice(1, 3)), ((0,), slice(None, None, -1)),
    # Steps > 1 and negative steps.
    ((7,), slice(None, None, 2)), ((7,), slice(1, None, 3)), ((7,), slice(1, 6, 4)),
    ((7,), slice(None, None, 100)), ((7,), slice(None, None, -1)), ((7,), slice(None, None, -2)),
    ((7,), slice(5, 1, -1)), ((7,), slice(5, 1, -3)), ((7,), slice(-2, None, -1)),
    ((7,), slice(None, -6, -1)), ((7,), slice(1, 5, -1)), ((7,), slice(100, -100, -1)),
    ((7,), slice(-100, None, -1)), ((7,), slice(None, 100, -1)), ((7,), slice(6, -8, -2)),
    ((7,), slice(0, None, -1)), ((7,), slice(None, 0, -1)), ((7,), slice(2, -1, -1)),
    # Ellipsis in front, middle and end.
    ((2, 3, 4), E), ((2, 3, 4), (E, 1)), ((2, 3, 4), (E, slice(1, 3))), ((2, 3, 4), (0, E)),
    ((2, 3, 4), (slice(None, None, -1), E)), ((2, 3, 4), (0, E, 1)),
    ((2, 3, 4, 5), (1, E, slice(None, None, 2))), ((2, 3, 4), (0, 1, 2, E)),
    ((2, 3, 4), (E, 0, 1, 2)), ((2, 3), (E, -1, -1)),
    # New axes anywhere, with and without an ellipsis.
    ((3,), None), ((3,), (None, None)), ((3,), (slice(None), None)), ((3,), (None, 1)),
    ((3, 4), (None, 1, None, slice(1, None), None)), ((2, 3, 4), (None, E)),
    ((2, 3, 4), (E, None)), ((2, 3, 4), (E, None, 1)), ((2, 3, 4), (E, 1, None)),
    ((2, 3, 4), (None, E, None, 2, None)), ((2, 3, 4), (1, None, E, None, slice(None, 2))),
    ((2, 3, 4), (None, 0, E, None, None, -1)), ((), None), ((), (None, E, None)), ((), E),
    ((), ()),
    # Mixed combinations on 1-D..4-D inputs.
    ((4,), (slice(1, None, 2),)), ((3, 4), (slice(1, None), slice(None, None, 2))),
    ((3, 4), (E, 0)), ((3, 4), (slice(None, None, -1), 1)), ((3, 4), (slice(None), -1)),
    ((3, 4), (2, slice(-1, 0, -2))), ((2, 3, 4), (slice(None), slice(None, None, -1), 0)),
    ((2, 3, 4), (-1, slice(-2, None), slice(None, None, 3))),
    ((2, 3, 4), (slice(0, 1), None, slice(5, 1, -1), slice(1, 3))),
    ((2, 3, 4, 5), (1, slice(None), E, slice(4, 0, -2))),
    ((2, 3, 4, 5), (slice(None, None, -1), 2, None, E, 3)),
    ((2, 3, 4, 5), (E, slice(1, -1), None, slice(None, None, -3))),
    ((2, 3, 4, 5), (0, 0, 0, 0)), ((2, 3, 4, 5), (-1, E, None, -1, slice(10, None, -1))),
    ((2, 3, 4, 5), (None, slice(0, 0), E, None)),
]

ERROR_CASES = [
    ((5,), 5, "slice index 5 of dimension 0 out of bounds."),
    ((5,), -6, "slice index -1 of dimension 0 out of bounds."),
    ((3, 4), (0, 4), "slice index 4 of dimension 1 out of bounds."),
    ((2, 3, 4), (E, -5), "slice index -1 of dimension 2 out of bounds."),
    ((0,), 0, "slice index 0 of dimension 0 out of bounds."),
    ((5,), slice(None, None, 0), r"strides\[0\] must be non-zero"),
    ((3, 4), (E, slice(1, 2, 0)), r"strides\[1\] must be non-zero"),
    ((3, 4), (0, 0, 0), "Index out of range using input dim 2; input has only 2 dims"),
    ((), 0, "Attempting to slice scalar input."),
    ((2, 3), (E, 0, E), "Multiple ellipses"),
]


def _case_id(case: tuple) -> str:
    return f"{case[0]}-{case[1]!r}".replace(" ", "")


def _array(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)


def _spec(index: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    begin, end, strides, masks = slice_spec(index)
    begin, end, strides = (np.asarray(v, dtype=np.int64).reshape(-1) for v in (begin, end, strides))
    return begin, end, strides, masks


@pytest.mark.parametrize("shape, index", CASES, ids=[_case_id(c) for c in CASES])
class TestAgainstNumpy:
    def test_numpy_input(self, shape, index):
        x = _array(shape)
        begin, end, strides, masks = _spec(index)
        result = strided_slice(x, begin, end, strides, **masks)
        expected = x[index]
        assert isinstance(result, np.ndarray)
        assert result.shape == np.shape(expected)
        np.testing.assert_array_equal(result, expected)

    def test_jax_input(self, shape, index):
        x = _array(shape)
        begin, end, strides, masks = _spec(index)
        result = strided_slice(jnp.asarray(x), begin, end, strides, **masks)
        assert result.shape == np.shape(x[index])
        np.testing.assert_array_equal(np.asarray(result), x[index])

    def test_under_jit(self, shape, index):
        x = _array(shape)
        begin, end, strides, masks = _spec(index)
        sliced = jax.jit(lambda a: strided_slice(a, begin, end, strides, **masks))
        result = sliced(jnp.asarray(x))
        assert result.shape == np.shape(x[index])
        np.testing.assert_array_equal(np.asarray(result), x[index])

    def test_bytes_object_array(self, shape, index):
        x = np.array([b"s%d" % v for v in _array(shape).ravel()], dtype=object).reshape(shape)
        begin, end, strides, masks = _spec(index)
        result = strided_slice(x, begin, end, strides, **masks)
        expected = np.asarray(x[index], dtype=object)
        assert result.dtype == object
        assert result.shape == expected.shape
        assert result.tolist() == expected.tolist()

    def test_shape_inference(self, shape, index):
        begin, end, strides, masks = _spec(index)
        assert strided_slice_shape(shape, begin, end, strides, **masks) == np.shape(
            _array(shape)[index])


@pytest.mark.parametrize("shape, index, message", ERROR_CASES,
                         ids=[_case_id(c) for c in ERROR_CASES])
def test_errors(shape, index, message):
    begin, end, strides, masks = _spec(index)
    with pytest.raises(ValueError, match=message):
        strided_slice(_array(shape), begin, end, strides, **masks)
    with pytest.raises(ValueError, match=message):
        strided_slice_shape(shape, begin, end, strides, **masks)
    with pytest.raises(ValueError, match=message):
        jax.jit(lambda a: strided_slice(a, begin, end, strides, **masks))(_array(shape))


def _raw(x, begin, end, strides, **masks):
    return strided_slice(x, np.array(begin), np.array(end), np.array(strides), **masks)


T = np.array([[[1, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]], [[5, 5, 5], [6, 6, 6]]])


@pytest.mark.parametrize("begin, end, strides, expected", [
    ([1, 0, 0], [2, 1, 3], [1, 1, 1], [[[3, 3, 3]]]),
    ([1, 0, 0], [2, 2, 3], [1, 1, 1], [[[3, 3, 3], [4, 4, 4]]]),
    ([1, -1, 0], [2, -3, 3], [1, -1, 1], [[[4, 4, 4], [3, 3, 3]]]),
])
def test_tf_documentation_examples(begin, end, strides, expected):
    np.testing.assert_array_equal(_raw(T, begin, end, strides), expected)


def test_mask_on_negative_stride_means_from_the_end():
    x = np.arange(6)
    np.testing.assert_array_equal(_raw(x, [0], [0], [-2], begin_mask=1, end_mask=1), x[::-2])
    np.testing.assert_array_equal(_raw(x, [0], [2], [-1], begin_mask=1), x[:2:-1])
    np.testing.assert_array_equal(_raw(x, [3], [0], [-1], end_mask=1), x[3::-1])


def test_begin_mask_is_ignored_on_a_shrunk_axis():
    x = np.arange(6)
    assert _raw(x, [4], [5], [1], begin_mask=1, shrink_axis_mask=1).tolist() == 4


def test_shrunk_axis_ignores_end():
    x = np.arange(6)
    assert _raw(x, [-1], [0], [1], shrink_axis_mask=1).tolist() == 5
    assert _raw(x, [2], [-100], [7], shrink_axis_mask=1).tolist() == 2


def test_new_axis_wins_over_shrink_and_ignores_its_values():
    x = np.arange(6)
    result = _raw(x, [99, 1], [-99, 3], [0, 1], new_axis_mask=1, shrink_axis_mask=1)
    np.testing.assert_array_equal(result, x[None, 1:3])


def test_ellipsis_wins_over_new_axis_on_the_same_position():
    x = _array((2, 3))
    result = _raw(x, [0, 1], [0, 2], [1, 1], ellipsis_mask=1, new_axis_mask=1,
                  shrink_axis_mask=2)
    np.testing.assert_array_equal(result, x[..., 1])


def test_mask_bits_past_the_spec_are_ignored():
    x = _array((2, 3))
    result = _raw(x, [1], [2], [1], begin_mask=0b110, end_mask=0b100, new_axis_mask=0b1000,
                  shrink_axis_mask=0b10)
    np.testing.assert_array_equal(result, x[1:2])


def test_empty_spec_is_identity():
    x = _array((2, 3))
    empty = np.zeros([0], dtype=np.int32)
    np.testing.assert_array_equal(strided_slice(x, empty, empty, empty), x)
    assert strided_slice_shape((2, None), empty, empty, empty) == (2, None)


def test_negative_stride_on_shrunk_axis_is_rejected():
    with pytest.raises(ValueError, match="only stride 1 allowed"):
        _raw(np.arange(6), [1], [2], [-1], shrink_axis_mask=1)


def test_spec_vectors_must_match():
    with pytest.raises(ValueError, match="equal size"):
        _raw(np.arange(6), [1, 2], [2], [1])


def test_shape_with_unknown_dimensions():
    begin, end, strides, masks = _spec((None, 0, slice(1, None), E, slice(None, None, 2)))
    assert strided_slice_shape((None, None, 7, 5), begin, end, strides, **masks) == (
        1, None, 7, 3)
    assert strided_slice_shape((4, None, None, 5), begin, end, strides, **masks) == (
        1, None, None, 3)


def test_shape_accepts_plain_sequences():
    assert strided_slice_shape([4, 6], [1, 0], [0, 0], [1, 2], begin_mask=2, end_mask=3) == (
        3, 3)


def test_fully_shrunk_numpy_result_is_a_0d_array():
    # With every axis shrunk, numpy would return a scalar; TF (and the kernel) a 0-d array.
    result = _raw(np.array([b"a", b"b"], dtype=object), [1], [2], [1], shrink_axis_mask=1)
    assert isinstance(result, np.ndarray)
    assert result.shape == () and result.item() == b"b"
