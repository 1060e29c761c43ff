"""Tests of build-time shape inference (`kernels.shapes.infer`) on kernels directly."""

from __future__ import annotations

import numpy as np
import pytest

import kernels  # noqa: F401  (registers the kernels)
from kernels import registry, shapes
from kernels.registry import Spec

F32, I32, BOOL = np.dtype(np.float32), np.dtype(np.int32), np.dtype(bool)


def infer(op_type: str, *specs: Spec, static=None, **attrs) -> tuple[Spec, ...]:
    static = static if static is not None else [None] * len(specs)
    return shapes.infer(registry.lookup(op_type), specs, attrs, static)


def f32(*dims) -> Spec:
    return Spec(dims, F32)


UNKNOWN = Spec(None, F32)


# (shape a, shape b, broadcast shape): TF's rules, with None for unknown dims
BROADCASTS = [
    ((2, 3), (2, 3), (2, 3)),
    ((2, 1), (1, 3), (2, 3)),
    ((), (2, 3), (2, 3)),
    ((4, 1, 5), (3, 1), (4, 3, 5)),
    ((None, 3), (3,), (None, 3)),
    ((None, 1), (1, 3), (None, 3)),
    ((None, 3), (None, 3), (None, 3)),
    ((None,), (4,), (4,)),  # a known dim > 1 wins: the unknown one must be 1 or equal
    ((4,), (None,), (4,)),
    ((None,), (1,), (None,)),
    ((1,), (None,), (None,)),
    ((None, 2), (5, None, 1), (5, None, 2)),
    (None, (2, 3), None),
    ((2, 3), None, None),
]


@pytest.mark.parametrize("a, b, expected", BROADCASTS)
def test_broadcast_shapes(a, b, expected):
    assert shapes.broadcast_shapes(a, b) == expected
    assert shapes.broadcast_shapes(b, a) == expected


def test_elementwise_kernels_broadcast_and_keep_or_set_the_dtype():
    assert infer("Add", f32(None, 3), f32(3)) == (f32(None, 3),)
    assert infer("Mul", Spec((None, 1), I32), Spec((1, 3), I32)) == (Spec((None, 3), I32),)
    assert infer("Less", f32(None, 1), f32(2, 3)) == (Spec((2, 3), BOOL),)
    assert infer("Tanh", f32(None, 3)) == (f32(None, 3),)
    assert infer("Add", UNKNOWN, f32(3)) == (UNKNOWN,)


@pytest.mark.parametrize("a, b, dims", [((2, 3), (3, 2), "2 and 3"),
                                        ((None, 3), (4,), "3 and 4"),
                                        ((5, None), (3, 1), "5 and 3")])
def test_broadcast_mismatch_is_a_value_error(a, b, dims):
    with pytest.raises(ValueError, match=f"Dimensions must be equal, but are {dims}"):
        shapes.broadcast_shapes(a, b)
    with pytest.raises(ValueError, match=f"but are {dims}"):
        infer("Sub", f32(*a), f32(*b))


# (input shape, axes, keep_dims, output shape)
REDUCTIONS = [
    ((None, 3), [1], False, (None,)),
    ((None, 3), [1], True, (None, 1)),
    ((None, 3), [0], False, (3,)),
    ((None, 3), [-1], False, (None,)),
    ((None, 3, 4), [0, 2], True, (1, 3, 1)),
    ((None, 3, 4), [2, -1], False, (None, 3)),  # one axis named twice
    ((2, 3), [], False, (2, 3)),
    ((2, 3), [0, 1], False, ()),
    ((), [], False, ()),
]


@pytest.mark.parametrize("shape, axes, keep_dims, expected", REDUCTIONS)
def test_reduction_rule(shape, axes, keep_dims, expected):
    axes = np.array(axes, np.int32)
    out = infer("Sum", f32(*shape), Spec(axes.shape, I32), static=[None, axes],
                keep_dims=keep_dims)
    assert out == (f32(*expected),)


def test_reductions_with_unknown_axes_or_rank_have_unknown_shapes():
    axes = Spec((1,), I32)
    assert infer("Max", f32(None, 3), axes, static=[None, None], keep_dims=False) == (UNKNOWN,)
    assert infer("Mean", UNKNOWN, axes, static=[None, np.array([0])], keep_dims=False) == (
        UNKNOWN,)


@pytest.mark.parametrize("axis", [2, -3])
def test_reduction_axis_out_of_range(axis):
    with pytest.raises(ValueError, match=f"Invalid reduction dimension {axis} for input with 2"):
        infer("Sum", f32(None, 3), Spec((), I32), static=[None, np.array(axis)],
              keep_dims=False)


def test_symbolic_dims_flow_through_kernels_without_a_shape_rule():
    assert infer("MatMul", f32(None, 3), f32(3, 4)) == (f32(None, 4),)
    assert infer("MatMul", f32(3, None), f32(3, 4), transpose_a=True) == (f32(None, 4),)
    assert infer("MatMul", f32(None, 3), f32(None, 3), transpose_b=True) == (f32(None, None),)
    assert infer("ExpandDims", f32(None, 3), Spec((), I32), static=[None, np.array(-1)]) == (
        f32(None, 3, 1),)
    # Batch dims that broadcast against each other are decided by two substitutions.
    assert infer("BatchMatMulV2", f32(None, 2, 3), f32(None, 3, 4)) == (f32(None, 2, 4),)
    assert infer("BatchMatMulV2", f32(None, 2, 3), f32(3, 4)) == (f32(None, 2, 4),)


def test_kernel_errors_on_known_shapes_are_value_errors():
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4"):
        infer("MatMul", f32(2, 3), f32(4, 5))
    with pytest.raises(ValueError):
        infer("Reshape", f32(2, 3), Spec((1,), I32), static=[None, np.array([4])])


def test_unknown_static_values_give_unknown_shapes_of_the_right_dtype():
    out = infer("Reshape", f32(2, 3), Spec((2,), I32), static=[None, None])
    assert out == (f32(None, None),)  # the length of the shape vector gives the rank
    ranges = infer("Range", *[Spec((), I32)] * 3, static=[np.array(0), None, np.array(1)],
                   Tidx=np.dtype(np.int64))
    assert ranges == (Spec((None,), np.dtype(np.int64)),)


def test_fast_rules_for_array_ops():
    shape = np.array([-1, 3], np.int32)
    assert infer("Reshape", f32(None, 2, 3), Spec((2,), I32), static=[None, shape]) == (
        f32(None, 3),)
    assert infer("Pack", f32(None, 3), f32(2, None), axis=-1) == (f32(2, 3, 2),)
    assert infer("AddN", f32(None, 3), f32(2, None), f32(None, None)) == (f32(2, 3),)
    with pytest.raises(ValueError, match="must be equal rank, but are 2 and 1"):
        infer("Pack", f32(None, 3), f32(3), axis=0)
    assert infer("Range", *[Spec((), F32)] * 3, static=[np.float32(0), np.float32(1),
                                                        np.float32(0.3)],
                 Tidx=F32) == (f32(4),)


def test_results_are_cached_by_op_type_specs_attrs_and_static_values():
    first = infer("MatMul", f32(None, 7), f32(7, 2))
    assert infer("MatMul", f32(None, 7), f32(7, 2)) is first
    assert infer("MatMul", f32(None, 7), f32(7, 2), transpose_a=False) is not first
    axes = np.array([1], np.int32)
    sums = infer("Sum", f32(5, 7), Spec((1,), I32), static=[None, axes], keep_dims=False)
    again = infer("Sum", f32(5, 7), Spec((1,), I32), static=[None, axes.copy()],
                  keep_dims=False)
    assert again is sums
    other = infer("Sum", f32(5, 7), Spec((1,), I32), static=[None, np.array([0], np.int32)],
                  keep_dims=False)
    assert other == (f32(7,),)


def test_unhashable_attrs_skip_the_cache():
    value = np.zeros((2, 3), np.float32)
    first = infer("Const", value=value, dtype=F32)
    assert first == (f32(2, 3),)
    assert infer("Const", value=value, dtype=F32) == first


def test_matmul_rule_catches_a_mismatch_with_unknown_batch_dim():
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4"):
        infer("MatMul", f32(None, 3), f32(4, 5))
    assert infer("MatMul", f32(None, 3), f32(3, 5)) == (f32(None, 5),)
    assert infer("MatMul", f32(3, None), f32(3, 5), transpose_a=True) == (f32(None, 5),)


def test_unknown_static_values_keep_dtype_and_rank():
    # tf.random_uniform(tf.shape(x)) with x's batch unknown: float32 of rank 2, not int32.
    uniform, reshape = registry.lookup("RandomUniform"), registry.lookup("Reshape")
    shape_spec = Spec((2,), np.dtype(np.int32))
    (out,) = shapes.infer(uniform, (shape_spec,), {"dtype": np.dtype(np.float32)}, [None])
    assert out == Spec((None, None), np.dtype(np.float32))
    x = Spec((None, 4), np.dtype(np.float64))
    (out,) = shapes.infer(reshape, (x, Spec((3,), np.dtype(np.int32))), {}, [None, None])
    assert out == Spec((None, None, None), np.dtype(np.float64))
