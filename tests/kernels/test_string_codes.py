"""String inputs through data-movement kernels (their values as TensorFlow gives them)."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from kernels.string_codes import moves_strings


@pytest.fixture
def sess():
    with tf.Graph().as_default(), tf.Session() as session:
        yield session


def _words():
    return tf.constant([["a", "b"], ["c", "d"]])


CASES = {  # expected values printed by TensorFlow 2.21 (tf.compat.v1) for the same calls
    "pad": (
        lambda: tf.pad(_words(), [[1, 0], [0, 1]]),
        [[b"", b"", b""], [b"a", b"b", b""], [b"c", b"d", b""]],
    ),
    "pad_constant": (
        lambda: tf.pad(_words(), [[0, 0], [1, 0]], constant_values="z"),
        [[b"z", b"a", b"b"], [b"z", b"c", b"d"]],
    ),
    "mirror_pad": (
        lambda: tf.pad(_words(), [[0, 0], [1, 0]], mode="REFLECT"),
        [[b"b", b"a", b"b"], [b"d", b"c", b"d"]],
    ),
    "gather_nd": (lambda: tf.gather_nd(_words(), [[0, 1], [1, 0]]), [b"b", b"c"]),
    "broadcast_to": (lambda: tf.broadcast_to(tf.constant(["q"]), [2, 3]), [[b"q"] * 3] * 2),
    "reverse_sequence": (
        lambda: tf.reverse_sequence(_words(), [1, 2], 1, 0),
        [[b"a", b"b"], [b"d", b"c"]],
    ),
    "sparse_reorder": (
        lambda: tf.sparse_reorder(tf.SparseTensor([[1, 0], [0, 0]], ["x", "y"], [2, 2])).values,
        [b"y", b"x"],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_data_movement_kernels_move_strings(sess, name):
    build, want = CASES[name]
    assert sess.run(build()).tolist() == want


def test_sparse_to_dense_of_string_split(sess):
    # string_split runs on the host; its indices, shape and values feed SparseToDense.
    sp = tf.string_split(["a b c", "d e"])
    dense = tf.sparse_tensor_to_dense(sp, default_value="?")
    words = tf.sparse_to_dense(sp.indices, sp.dense_shape, sp.values, default_value="")
    counts = tf.sparse_to_dense(sp.indices, sp.dense_shape, tf.ones_like(sp.values, tf.int32))
    got = sess.run([dense, words, counts])
    assert got[0].tolist() == [[b"a", b"b", b"c"], [b"d", b"e", b"?"]]
    assert got[1].tolist() == [[b"a", b"b", b"c"], [b"d", b"e", b""]]
    np.testing.assert_array_equal(got[2], [[1, 1, 1], [1, 1, 0]])


def test_codes_round_trip_and_leave_numbers_alone():
    def swap(x, y, n):
        return y, x, n + 1

    x = np.array([b"b", b"", b"a"], object)
    y = np.array([[b"zz"]], object)
    got = moves_strings(swap)(x, y, np.int32(4))
    assert got[0].tolist() == [[b"zz"]] and got[1].tolist() == [b"b", b"", b"a"]
    assert got[2] == 5


def test_fixed_width_bytes_arrays_are_strings_too():
    # tf.data yields string batches as `|S<n>` arrays; GatherNd (a vocabulary column's
    # to_sparse_input) must move them like object arrays.
    def take_last(x):
        return x[-1:]

    got = moves_strings(take_last)(np.array([b"a", b"bb"]))
    assert got.tolist() == [b"bb"]
    with tf.Graph().as_default(), tf.Session() as sess:
        batch = tf.data.Dataset.from_tensor_slices(["a", "bb"]).batch(2)
        values = batch.make_one_shot_iterator().get_next()
        assert sess.run(tf.gather_nd(values, [[1]])).tolist() == [b"bb"]
