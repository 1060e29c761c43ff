"""tf.nest: flatten, pack_sequence_as, map_structure, assert_same_structure, is_nested."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import flowgraph as tf

Point = collections.namedtuple("Point", ["x", "y"])


def test_flatten_and_pack_round_trip():
    structure = {"b": (1, [2, 3]), "a": Point(4, {"z": 5, "y": None}), "c": "text"}
    flat = tf.nest.flatten(structure)
    assert flat == [4, None, 5, 1, 2, 3, "text"]  # dict keys sorted; strings and None leaves
    packed = tf.nest.pack_sequence_as(structure, [v if v is None else str(v) for v in flat])
    assert packed == {"b": ("1", ["2", "3"]), "a": Point("4", {"z": "5", "y": None}), "c": "text"}
    assert isinstance(packed["a"], Point) and list(packed) == ["b", "a", "c"]
    assert tf.nest.flatten(7) == [7] and tf.nest.pack_sequence_as(7, [8]) == 8
    assert tf.nest.flatten(np.ones(3))[0].shape == (3,)  # arrays are leaves


def test_is_nested():
    assert tf.nest.is_nested([1]) and tf.nest.is_nested((1,)) and tf.nest.is_nested({})
    assert not tf.nest.is_nested("ab") and not tf.nest.is_nested(np.ones(2))
    with tf.Graph().as_default():
        assert not tf.nest.is_nested(tf.constant([1, 2]))


def test_map_structure():
    got = tf.nest.map_structure(lambda a, b: a + b, (1, [2], {"k": 3}), (10, [20], {"k": 30}))
    assert got == (11, [22], {"k": 33})
    with tf.Graph().as_default():
        doubled = tf.nest.map_structure(lambda t: t * 2, {"w": tf.constant(2.0)})
        assert tf.Session().run(doubled) == {"w": 4.0}
    with pytest.raises(ValueError, match="same nested structure"):
        tf.nest.map_structure(lambda a, b: a, (1, 2), (1, 2, 3))
    with pytest.raises(ValueError, match="check_types"):
        tf.nest.map_structure(lambda a: a, (1,), bad=True)


def test_assert_same_structure():
    tf.nest.assert_same_structure((1, [2]), ("a", ["b"]))
    tf.nest.assert_same_structure((1, 2), [1, 2], check_types=False)
    with pytest.raises(TypeError, match="same sequence type"):
        tf.nest.assert_same_structure((1, 2), [1, 2])
    with pytest.raises(ValueError, match="is a sequence, while"):
        tf.nest.assert_same_structure((1, [2]), (1, 2))
    with pytest.raises(ValueError, match="same set of keys"):
        tf.nest.assert_same_structure({"a": 1}, {"b": 1})


def test_pack_errors():
    with pytest.raises(ValueError, match="Structure had 2 atoms, but flat_sequence had 3"):
        tf.nest.pack_sequence_as((1, 2), [1, 2, 3])
    with pytest.raises(TypeError, match="Attempted to pack value"):
        tf.nest.pack_sequence_as((1,), 5)
