"""sparse_cross / sparse_cross_hashed (the SparseCross kernel): TensorFlow's crosses."""

from __future__ import annotations

import numpy as np

import flowgraph as tf
from flowgraph.ops.sparse_cross_ops import sparse_cross, sparse_cross_hashed
from kernels.sparse_cross import fingerprint_cat64

OP_TYPES_TESTED = ("SparseCross",)
NOT_DIFFERENTIABLE = {"SparseCross": "integer or string crosses (NotDifferentiable in TF)"}


def _inputs():
    a = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], ["a", "b", "c"], [3, 2])
    d = tf.constant([[1], [2], [3]], tf.int64)
    return a, d


def test_string_crosses_are_the_per_row_product_sparse_inputs_first():
    with tf.Graph().as_default():
        a, d = _inputs()
        out = sparse_cross([d, a])  # dense listed first: TF still crosses sparse ones first
        with tf.Session() as sess:
            got = sess.run(out)
    assert got.indices.tolist() == [[0, 0], [0, 1], [2, 0]]
    assert got.values.tolist() == [b"a_X_1", b"b_X_1", b"c_X_3"]
    assert got.dense_shape.tolist() == [3, 2]


def test_hashed_crosses_equal_tensorflows():
    # TF 2.21's tf.sparse.cross_hashed([a, d], num_buckets=1000) on these inputs.
    with tf.Graph().as_default():
        a = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], ["a", "b", "c"], [2, 2])
        d = tf.constant([[1], [2]], tf.int64)
        out = sparse_cross_hashed([a, d], num_buckets=1000)
        with tf.Session() as sess:
            assert sess.run(out).values.tolist() == [485, 983, 523]


def test_fingerprint_cat64_by_hand():
    # TF's FingerprintCat64 written out for two small numbers (mod 2**64 arithmetic).
    mul, m = 0xC6A4A7935BD1E995, (1 << 64) - 1

    def shift_mix(v):
        return v ^ (v >> 47)

    a, b = 1, 2
    r = a ^ mul
    r ^= (shift_mix((b * mul) & m) * mul) & m
    r = shift_mix((shift_mix((r * mul) & m) * mul) & m)
    assert fingerprint_cat64(a, b) == r
    assert fingerprint_cat64(a, b) != fingerprint_cat64(b, a)


def test_empty_rows_and_no_modulo():
    with tf.Graph().as_default():
        a = tf.SparseTensor(np.zeros((0, 2), np.int64), tf.constant([], tf.string), [2, 1])
        b = tf.constant([["x"], ["y"]])
        out = sparse_cross_hashed([a, b])
        with tf.Session() as sess:
            got = sess.run(out)
    assert got.values.tolist() == [] and got.dense_shape.tolist() == [2, 0]
