"""Tests for flowgraph.framework.tensor_shape (TensorFlow 1.x `TensorShape`)."""

import copy
import pickle

import numpy as np
import pytest

from flowgraph.framework import tensor_shape
from flowgraph.framework.tensor_shape import Dimension, TensorShape


def _value(dim):
    """Returns the value of a Dimension, asserting that it is one."""
    assert isinstance(dim, Dimension)
    return dim.value


# ---------------------------------------------------------------------------------------
# Dimension


def test_dimension_construction():
    assert Dimension(3).value == 3
    assert Dimension(0).value == 0
    assert Dimension(None).value is None
    assert Dimension(Dimension(5)).value == 5
    assert Dimension(np.int64(7)).value == 7
    assert type(Dimension(np.int32(7)).value) is int
    assert tensor_shape.as_dimension(4).value == 4
    d = Dimension(2)
    assert tensor_shape.as_dimension(d) is d


def test_dimension_construction_errors():
    with pytest.raises(ValueError, match=r"Dimension -1 must be >= 0"):
        Dimension(-1)
    with pytest.raises(TypeError, match="Dimension value must be integer or None"):
        Dimension(3.0)
    with pytest.raises(TypeError):
        Dimension("3")


def test_dimension_str_repr_int_index():
    assert str(Dimension(3)) == "3"
    assert str(Dimension(None)) == "?"
    assert repr(Dimension(3)) == "Dimension(3)"
    assert repr(Dimension(None)) == "Dimension(None)"
    assert int(Dimension(4)) == 4
    assert list(range(Dimension(3))) == [0, 1, 2]
    assert [10, 11, 12][Dimension(1)] == 11


@pytest.mark.parametrize("op,expected", [
    (lambda a, b: a + b, 10),
    (lambda a, b: a - b, 4),
    (lambda a, b: a * b, 21),
    (lambda a, b: a // b, 2),
    (lambda a, b: a % b, 1),
])
def test_dimension_arithmetic(op, expected):
    assert _value(op(Dimension(7), Dimension(3))) == expected
    assert _value(op(Dimension(7), 3)) == expected
    assert _value(op(7, Dimension(3))) == expected
    assert _value(op(Dimension(None), Dimension(3))) is None
    assert _value(op(Dimension(7), Dimension(None))) is None
    assert _value(op(Dimension(7), None)) is None
    assert _value(op(None, Dimension(3))) is None
    assert _value(op(Dimension(None), 3)) is None


def test_dimension_negative_result_raises():
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        Dimension(2) - 3
    with pytest.raises(ValueError):
        2 - Dimension(3)


def test_dimension_true_division_is_rejected():
    with pytest.raises(TypeError, match="please use // instead"):
        Dimension(4) / 2
    with pytest.raises(TypeError, match="please use // instead"):
        4 / Dimension(2)


def test_dimension_equality_with_unknowns():
    assert (Dimension(3) == Dimension(3)) is True
    assert (Dimension(3) == 3) is True
    assert (3 == Dimension(3)) is True
    assert (Dimension(3) == Dimension(4)) is False
    assert (Dimension(3) == Dimension(None)) is None
    assert (Dimension(None) == Dimension(None)) is None
    assert (Dimension(None) == None) is None  # noqa: E711
    assert (Dimension(3) != Dimension(4)) is True
    assert (Dimension(3) != 3) is False
    assert (Dimension(3) != Dimension(None)) is None
    assert (Dimension(None) != Dimension(None)) is None
    # Unconvertible values fall back to identity comparison.
    assert (Dimension(3) == "3") is False
    assert (Dimension(3) == -1) is False


def test_dimension_ordering_with_unknowns():
    a, b, u = Dimension(2), Dimension(5), Dimension(None)
    assert (a < b) is True
    assert (a <= 2) is True
    assert (b > a) is True
    assert (b >= 6) is False
    assert (a < u) is None
    assert (u <= a) is None
    assert (u > u) is None
    assert (a >= u) is None


def test_dimension_hash():
    assert hash(Dimension(3)) == hash(3)
    assert hash(Dimension(None)) == hash(None)
    assert {Dimension(3): "x"}[Dimension(3)] == "x"


def test_dimension_compatibility_and_merge():
    assert Dimension(3).is_compatible_with(3)
    assert Dimension(3).is_compatible_with(Dimension(None))
    assert Dimension(None).is_compatible_with(4)
    assert not Dimension(3).is_compatible_with(4)
    Dimension(3).assert_is_compatible_with(None)
    with pytest.raises(ValueError) as info:
        Dimension(3).assert_is_compatible_with(Dimension(4))
    assert str(info.value) == "Dimensions 3 and 4 are not compatible"
    assert _value(Dimension(3).merge_with(None)) == 3
    assert _value(Dimension(None).merge_with(Dimension(5))) == 5
    assert _value(Dimension(None).merge_with(None)) is None
    assert _value(Dimension(2).merge_with(2)) == 2
    with pytest.raises(ValueError) as info:
        Dimension(3).merge_with(4)
    assert str(info.value) == "Dimensions 3 and 4 are not compatible"


def test_dimension_pickle_and_copy():
    for d in (Dimension(3), Dimension(None)):
        restored = pickle.loads(pickle.dumps(d))
        assert isinstance(restored, Dimension)
        assert restored.value == d.value
        assert copy.deepcopy(d).value == d.value


def test_dimension_value_and_at_index():
    assert tensor_shape.dimension_value(Dimension(4)) == 4
    assert tensor_shape.dimension_value(Dimension(None)) is None
    assert tensor_shape.dimension_value(7) == 7
    assert tensor_shape.dimension_value(None) is None
    shape = TensorShape([2, None])
    assert _value(tensor_shape.dimension_at_index(shape, 0)) == 2
    assert _value(tensor_shape.dimension_at_index(shape, 1)) is None
    assert _value(tensor_shape.dimension_at_index(TensorShape(None), 5)) is None


# ---------------------------------------------------------------------------------------
# TensorShape construction and inspection


def test_unknown_shape_properties():
    s = TensorShape(None)
    assert s.dims is None
    assert s.ndims is None
    assert s.rank is None
    assert not s
    assert s.as_tuple() is None
    assert not s.is_fully_defined()
    assert s.num_elements() is None
    with pytest.raises(ValueError) as info:
        len(s)
    assert str(info.value) == "Cannot take the length of shape with unknown rank."
    with pytest.raises(ValueError) as info:
        s.as_list()
    assert str(info.value) == "as_list() is not defined on an unknown TensorShape."
    with pytest.raises(ValueError, match="Cannot iterate over a shape with unknown rank."):
        iter(s)


def test_known_shape_properties():
    s = TensorShape([None, 3])
    assert s.ndims == 2
    assert s.rank == 2
    assert len(s) == 2
    assert s
    assert s.as_list() == [None, 3]
    assert s.as_tuple() == (None, 3)
    assert [d.value for d in s.dims] == [None, 3]
    assert all(isinstance(d, Dimension) for d in s.dims)
    assert [d.value for d in s] == [None, 3]
    assert not s.is_fully_defined()
    assert s.num_elements() is None


def test_scalar_shape_is_truthy_and_fully_defined():
    s = TensorShape([])
    assert s
    assert s.rank == 0
    assert s.as_list() == []
    assert s.as_tuple() == ()
    assert s.is_fully_defined()
    assert s.num_elements() == 1


@pytest.mark.parametrize("dims,expected", [
    ([2, 3, 4], (2, 3, 4)),
    ((5,), (5,)),
    ([Dimension(2), None, np.int64(4)], (2, None, 4)),
    (np.array([3, 1]), (3, 1)),
    (iter([1, 2]), (1, 2)),
    (TensorShape([7, None]), (7, None)),
    (range(3), (0, 1, 2)),
    # TF1 treats a single (non-iterable) value as a one-dimensional shape.
    (3, (3,)),
    (Dimension(4), (4,)),
])
def test_construction_from_various_inputs(dims, expected):
    s = TensorShape(dims)
    assert s.as_tuple() == expected
    assert s.as_list() == list(expected)


def test_construction_errors():
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        TensorShape([2, -1])
    with pytest.raises(TypeError, match="Failed to convert"):
        TensorShape([2, 1.5])
    with pytest.raises(TypeError, match="ambiguous TensorShape"):
        TensorShape("12")
    with pytest.raises(TypeError):
        TensorShape(2.5)


def test_num_elements_and_fully_defined():
    assert TensorShape([2, 3, 4]).num_elements() == 24
    assert TensorShape([2, 0]).num_elements() == 0
    assert TensorShape([2, None]).num_elements() is None
    TensorShape([2, 3]).assert_is_fully_defined()
    with pytest.raises(ValueError) as info:
        TensorShape([None, 3]).assert_is_fully_defined()
    assert str(info.value) == "Shape (?, 3) is not fully defined"


def test_str_and_repr():
    assert str(TensorShape([None, 3])) == "(?, 3)"
    assert str(TensorShape([3])) == "(3,)"
    assert str(TensorShape([None])) == "(?,)"
    assert str(TensorShape([])) == "()"
    assert str(TensorShape(None)) == "<unknown>"
    assert str(TensorShape([1, 2, 3])) == "(1, 2, 3)"
    assert repr(TensorShape([None, 3])) == "TensorShape([Dimension(None), Dimension(3)])"
    assert repr(TensorShape([])) == "TensorShape([])"
    assert repr(TensorShape(None)) == "TensorShape(None)"
    assert repr(TensorShape._from_tuple((4,))) == "TensorShape([Dimension(4)])"


def test_from_tuple_fast_path():
    s = TensorShape._from_tuple((2, None, 5))
    assert isinstance(s, TensorShape)
    assert s.as_tuple() == (2, None, 5)
    assert s.as_list() == [2, None, 5]
    assert s.rank == 3
    assert [d.value for d in s.dims] == [2, None, 5]
    assert str(s) == "(2, ?, 5)"
    u = TensorShape._from_tuple(None)
    assert u.rank is None
    assert u.dims is None
    assert u.as_tuple() is None
    assert TensorShape._from_tuple(()).is_fully_defined()


def test_as_tuple_is_cached_and_matches_dims():
    s = TensorShape([Dimension(3), Dimension(None)])
    assert s.as_tuple() == (3, None)
    assert s.as_tuple() is s.as_tuple()


# ---------------------------------------------------------------------------------------
# Indexing and slicing


def test_getitem_known_rank():
    s = TensorShape([2, None, 4, 5])
    assert _value(s[0]) == 2
    assert _value(s[1]) is None
    assert _value(s[-1]) == 5
    assert s[1] is s.dims[1]
    sub = s[1:3]
    assert isinstance(sub, TensorShape)
    assert sub.as_list() == [None, 4]
    assert s[::2].as_list() == [2, 4]
    assert s[5:].as_list() == []
    with pytest.raises(IndexError):
        s[4]


def test_getitem_unknown_rank():
    s = TensorShape(None)
    assert _value(s[0]) is None
    assert _value(s[100]) is None
    assert s[1:].rank is None
    assert s[:3].as_list() == [None, None, None]
    assert s[1:4].as_list() == [None, None, None]
    assert s[-2:3].rank is None
    assert s[1:-1].rank is None
    with pytest.raises(ValueError, match="Steps are not yet handled"):
        s[0:4:2]


# ---------------------------------------------------------------------------------------
# Merging, compatibility, rank checks


def test_merge_with():
    assert TensorShape([None, 3]).merge_with([2, None]).as_list() == [2, 3]
    assert TensorShape([2, 3]).merge_with(TensorShape(None)).as_list() == [2, 3]
    other = TensorShape([4, None])
    assert TensorShape(None).merge_with(other) is other
    assert TensorShape(None).merge_with(None).rank is None
    with pytest.raises(ValueError) as info:
        TensorShape([2, 3]).merge_with(TensorShape([2, 4]))
    assert str(info.value) == "Shapes (2, 3) and (2, 4) are not compatible"
    with pytest.raises(ValueError) as info:
        TensorShape([2, 3]).merge_with([2, 3, 1])
    assert str(info.value) == "Shapes (2, 3) and (2, 3, 1) are not compatible"


def test_is_compatible_with():
    s = TensorShape([32, None])
    assert s.is_compatible_with(TensorShape([32, 784]))
    assert s.is_compatible_with([None, None])
    assert s.is_compatible_with((32, 7))
    assert s.is_compatible_with(None)
    assert s.is_compatible_with(TensorShape(None))
    assert not s.is_compatible_with([64, None])
    assert not s.is_compatible_with([32])
    assert not s.is_compatible_with([32, None, 1])
    assert TensorShape(None).is_compatible_with([1, 2, 3])
    assert TensorShape([]).is_compatible_with([])
    assert not TensorShape([]).is_compatible_with([1])
    s.assert_is_compatible_with([32, 1])
    with pytest.raises(ValueError) as info:
        s.assert_is_compatible_with(TensorShape([31, 1]))
    assert str(info.value) == "Shapes (32, ?) and (31, 1) are incompatible"
    # Like TF, the message shows `other` as given, before conversion.
    with pytest.raises(ValueError) as info:
        s.assert_is_compatible_with([31, 1])
    assert str(info.value) == "Shapes (32, ?) and [31, 1] are incompatible"


def test_most_specific_compatible_shape():
    s = TensorShape([2, 1]).most_specific_compatible_shape(TensorShape([5, 1]))
    assert s.as_list() == [None, 1]
    same = TensorShape([1, 2, 3]).most_specific_compatible_shape([1, 2, 3])
    assert same.as_list() == [1, 2, 3]
    assert TensorShape([1, 2]).most_specific_compatible_shape([1]).rank is None
    assert TensorShape(None).most_specific_compatible_shape([1]).rank is None
    both_unknown = TensorShape([None, 2]).most_specific_compatible_shape([None, 2])
    assert both_unknown.as_list() == [None, 2]


def test_rank_helpers():
    s = TensorShape([2, 3])
    assert s.with_rank(2).as_list() == [2, 3]
    assert TensorShape(None).with_rank(3).as_list() == [None, None, None]
    with pytest.raises(ValueError) as info:
        s.with_rank(3)
    assert str(info.value) == "Shape (2, 3) must have rank 3"
    assert s.with_rank_at_least(1) is s
    assert s.with_rank_at_least(2) is s
    with pytest.raises(ValueError) as info:
        s.with_rank_at_least(3)
    assert str(info.value) == "Shape (2, 3) must have rank at least 3"
    assert s.with_rank_at_most(2) is s
    with pytest.raises(ValueError) as info:
        s.with_rank_at_most(1)
    assert str(info.value) == "Shape (2, 3) must have rank at most 1"
    u = TensorShape(None)
    assert u.with_rank_at_least(5) is u
    assert u.with_rank_at_most(0) is u
    s.assert_has_rank(2)
    u.assert_has_rank(7)
    with pytest.raises(ValueError) as info:
        s.assert_has_rank(1)
    assert str(info.value) == "Shape (2, 3) must have rank 1"
    s.assert_same_rank([None, None])
    s.assert_same_rank(None)
    with pytest.raises(ValueError) as info:
        s.assert_same_rank([1])
    assert str(info.value) == "Shapes (2, 3) and (1,) must have the same rank"


# ---------------------------------------------------------------------------------------
# Concatenation


def test_concatenate():
    a = TensorShape([1, None])
    assert a.concatenate([3]).as_list() == [1, None, 3]
    assert (a + TensorShape([4, 5])).as_list() == [1, None, 4, 5]
    assert (a + [6]).as_list() == [1, None, 6]
    assert ([0] + a).as_list() == [0, 1, None]
    assert a.__concat__(TensorShape([2])).as_list() == [1, None, 2]
    assert a.concatenate(TensorShape(None)).rank is None
    assert TensorShape(None).concatenate(a).rank is None


# ---------------------------------------------------------------------------------------
# Equality (TF1 semantics)


def test_equality_fully_defined():
    assert TensorShape([2, 3]) == TensorShape([2, 3])
    assert TensorShape([2, 3]) == [2, 3]
    assert TensorShape([2, 3]) == (2, 3)
    assert [2, 3] == TensorShape([2, 3])
    assert not TensorShape([2, 3]) == TensorShape([3, 2])
    assert not TensorShape([2, 3]) == TensorShape([2, 3, 1])
    assert TensorShape([]) == TensorShape([])
    assert TensorShape._from_tuple((2, 3)) == TensorShape([Dimension(2), 3])


def test_equality_with_unknown_dimensions_uses_identity():
    s = TensorShape([None, 3])
    # A fresh unknown Dimension never equals another one in TF1.
    assert not s == TensorShape([None, 3])
    assert not s == [None, 3]
    assert s == s
    assert TensorShape(s) == s
    assert s[0:2] == s
    assert s.concatenate([]) == s
    assert TensorShape(s.dims) == s
    t = TensorShape._from_tuple((None, 3))
    assert not t == s
    assert t == TensorShape(t)


def test_equality_unknown_rank():
    assert TensorShape(None) == TensorShape(None)
    assert TensorShape(None) == None  # noqa: E711
    assert not TensorShape(None) == TensorShape([1])
    assert not TensorShape([1]) == TensorShape(None)


def test_unknown_shape_shares_one_dimension():
    u = tensor_shape.unknown_shape(2)
    assert u.dims[0] is u.dims[1]
    assert u[0:1] == u[1:2]
    assert not u == tensor_shape.unknown_shape(2)
    m = TensorShape([1, 5, 6]).most_specific_compatible_shape([1, 7, 8])
    assert m.dims[1] is m.dims[2]


def test_inequality():
    assert TensorShape([2, 3]) != TensorShape([2, 4])
    assert TensorShape([2, 3]) != TensorShape([2])
    assert not TensorShape([2, 3]) != [2, 3]
    assert TensorShape([None, 3]) != TensorShape([None, 3])
    with pytest.raises(ValueError, match="The inequality of unknown TensorShapes is undefined."):
        _ = TensorShape(None) != TensorShape([1])
    with pytest.raises(ValueError):
        _ = TensorShape([1]) != TensorShape(None)


def test_equality_with_unconvertible_values():
    assert not TensorShape([2]) == "ab"
    assert TensorShape([2]) != "ab"
    assert not TensorShape([2]) == 1.5


def test_tensor_shape_is_unhashable():
    with pytest.raises(TypeError):
        hash(TensorShape([1, 2]))


# ---------------------------------------------------------------------------------------
# Pickling and module helpers


@pytest.mark.parametrize("dims", [None, [], [2, 3], [None, 4]])
def test_pickle_round_trip(dims):
    s = TensorShape(dims)
    restored = pickle.loads(pickle.dumps(s))
    assert isinstance(restored, TensorShape)
    assert restored.as_tuple() == s.as_tuple()
    assert str(restored) == str(s)
    assert copy.deepcopy(s).as_tuple() == s.as_tuple()


def test_as_shape():
    s = TensorShape([1])
    assert tensor_shape.as_shape(s) is s
    assert tensor_shape.as_shape([1, None]).as_list() == [1, None]
    assert tensor_shape.as_shape(None).rank is None


def test_unknown_shape_helper():
    assert tensor_shape.unknown_shape().rank is None
    assert tensor_shape.unknown_shape(rank=3).as_list() == [None, None, None]
    assert tensor_shape.unknown_shape(ndims=2).as_list() == [None, None]
    assert tensor_shape.unknown_shape(0).as_list() == []
    with pytest.raises(TypeError, match="Unknown argument"):
        tensor_shape.unknown_shape(bogus=1)


def test_scalar_vector_matrix():
    assert tensor_shape.scalar().as_list() == []
    assert tensor_shape.vector(3).as_list() == [3]
    assert tensor_shape.vector(None).as_list() == [None]
    assert tensor_shape.matrix(2, None).as_list() == [2, None]
    assert str(tensor_shape.matrix(2, 5)) == "(2, 5)"
