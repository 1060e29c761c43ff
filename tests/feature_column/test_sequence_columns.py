"""Sequence columns and `sequence_input_layer` against hand-computed tensors."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

fc = tf.feature_column
TABLE = np.arange(8, dtype=np.float32).reshape(4, 2)


def _features():
    return {
        "rating": tf.SparseTensor([[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1]],
                                  [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 4]),
        "watches": tf.SparseTensor([[0, 0], [0, 1], [1, 0]],
                                   tf.constant([1, 3, 2], tf.int64), [2, 2]),
        "w": tf.SparseTensor([[0, 0], [0, 1], [1, 0]], ["a", "c", "b"], [2, 2]),
    }  # fmt: skip


def test_sequence_input_layer_concatenates_columns_per_step():
    rating = fc.sequence_numeric_column("rating", shape=(2,))
    watches = fc.sequence_categorical_column_with_identity("watches", 4)
    words = fc.sequence_categorical_column_with_vocabulary_list("w", ["a", "b", "c"])
    columns = [
        rating,
        fc.embedding_column(watches, 2, initializer=tf.constant_initializer(TABLE)),
        fc.indicator_column(words),
    ]
    with tf.Graph().as_default():
        out, length = tf.contrib.feature_column.sequence_input_layer(_features(), columns)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            out, length = sess.run([out, length])
    # Sorted by name: rating (2 per step), w_indicator (3), watches_embedding (2).
    expected = [
        [[1, 2, 1, 0, 0, *TABLE[1]], [3, 4, 0, 0, 1, *TABLE[3]]],
        [[5, 6, 0, 1, 0, *TABLE[2]], [0, 0, 0, 0, 0, 0, 0]],
    ]
    np.testing.assert_allclose(out, expected)
    assert length.tolist() == [2, 1]


def test_sequence_numeric_column_pads_with_default_value_and_normalizes():
    def times_ten(sp):
        return tf.SparseTensor(sp.indices, sp.values * 10, sp.dense_shape)

    column = fc.sequence_numeric_column("x", default_value=-1.0, normalizer_fn=times_ten)
    assert column._parse_example_spec == {"x": tf.VarLenFeature(tf.float32)}
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [1.0, 2.0, 3.0], [2, 2])
        out, length = tf.contrib.feature_column.sequence_input_layer({"x": sp}, [column])
        with tf.Session() as sess:
            out, length = sess.run([out, length])
    np.testing.assert_allclose(out, [[[10.0], [20.0]], [[30.0], [-1.0]]])
    assert length.tolist() == [2, 1]


def test_sequence_columns_parse_specs_and_hashing():
    tokens = fc.sequence_categorical_column_with_hash_bucket("t", 10)
    assert tokens.name == "t" and tokens._num_buckets == 10
    assert fc.make_parse_example_spec([fc.indicator_column(tokens)]) == {
        "t": tf.VarLenFeature(tf.string)
    }


def test_sequence_vocabulary_file(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("a\nb\n")
    column = fc.sequence_categorical_column_with_vocabulary_file("w", str(path))
    with tf.Graph().as_default():
        features = {"w": tf.SparseTensor([[0, 0], [0, 1]], ["b", "a"], [1, 2])}
        out, _ = tf.contrib.feature_column.sequence_input_layer(
            features, [fc.indicator_column(column)]
        )
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            np.testing.assert_allclose(sess.run(out), [[[0, 1], [1, 0]]])


def test_sequence_and_non_sequence_columns_do_not_mix():
    watches = fc.sequence_categorical_column_with_identity("watches", 4)
    plain = fc.categorical_column_with_identity("watches", 4)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="must not be of type _SequenceCategoricalColumn"):
            fc.input_layer(_features(), [fc.embedding_column(watches, 2)])
        with pytest.raises(ValueError, match="must be of type _SequenceCategoricalColumn"):
            tf.contrib.feature_column.sequence_input_layer(
                _features(), [fc.indicator_column(plain)]
            )
        with pytest.raises(ValueError, match="must be of type _SequenceDenseColumn"):
            tf.contrib.feature_column.sequence_input_layer(
                _features(), [fc.numeric_column("rating")]
            )
