"""Serialized SparseTensors: bytes equal to TF's (tests/fixtures/sparse_serialize_tf.npz,
written by tests/fixtures/sparse_serialize_tf.py) and round trips."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import sparse_serialize_ops as ss

OP_TYPES_TESTED = {"SerializeSparse", "SerializeManySparse", "DeserializeManySparse"}
NOT_DIFFERENTIABLE = {t: "strings (TF: NotDifferentiable)" for t in OP_TYPES_TESTED}

TF = np.load(
    pathlib.Path(__file__).parent.parent / "fixtures" / "sparse_serialize_tf.npz", allow_pickle=True
)


def test_bytes_match_tf_and_round_trip():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 1, 0], [2, 0, 1], [2, 1, 1]], [1.5, -2.0, 3.0], [3, 2, 2])
        strings = tf.SparseTensor([[0, 0], [1, 2]], ["a", "bc"], [2, 3])
        many = ss.serialize_many_sparse(sp)
        back = ss.deserialize_many_sparse(many, tf.float32, rank=3)
        back_strings = ss.deserialize_many_sparse(ss.serialize_many_sparse(strings), tf.string)
        with tf.Session() as sess:
            one, got_many, got_strings, got_back, got_back_strings = sess.run(
                [
                    ss.serialize_sparse(sp),
                    many,
                    ss.serialize_many_sparse(strings),
                    back,
                    back_strings,
                ]
            )
    assert one.tolist() == TF["one"].tolist()
    assert got_many.tolist() == TF["many"].tolist()
    assert got_strings.tolist() == TF["many_strings"].tolist()
    assert back.indices.shape.as_list() == [None, 3]
    assert got_back.indices.tolist() == [[0, 1, 0], [2, 0, 1], [2, 1, 1]]
    assert got_back.values.tolist() == [1.5, -2.0, 3.0]
    assert got_back.dense_shape.tolist() == [3, 2, 2]
    assert got_back_strings.values.tolist() == [b"a", b"bc"]
    assert got_back_strings.dense_shape.tolist() == [2, 3]


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="SparseTensor"):
            ss.serialize_sparse(tf.constant([1]))
        bad = ss.deserialize_many_sparse([["x", "y"]], tf.float32)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[N, 3\]"):
                sess.run(bad)
