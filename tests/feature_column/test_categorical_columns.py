"""Categorical columns: ids against TensorFlow's (hash buckets, crosses) and hand-computed
ones (vocabularies, identity, weights), and TF's errors naming the column."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.feature_column.base import _LazyBuilder
from tests.feature_column import fc_programs
from tests.feature_column.test_feature_column import FIXTURES, _assert_close

fc = tf.feature_column


@pytest.mark.parametrize("name", ["hash_buckets", "crosses"])
def test_ids_equal_tensorflows(name):
    got = fc_programs.run(tf, getattr(fc_programs, name), _LazyBuilder)
    plain = {k: v if not hasattr(v, "dense_shape") else v._asdict() for k, v in got.items()}
    _assert_close(plain, FIXTURES[name]["values"])


def _ids(column, features):
    """The column's id SparseTensor, run: (indices, values, dense_shape)."""
    with tf.Graph().as_default():
        features = features() if callable(features) else features
        pair = column._get_sparse_tensors(_LazyBuilder(features))
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            sp = sess.run(pair.id_tensor)
    return sp.indices.tolist(), sp.values.tolist(), sp.dense_shape.tolist()


def test_integers_hash_as_their_decimal_strings():
    ints = fc.categorical_column_with_hash_bucket("i", 100, dtype=tf.int64)
    strings = fc.categorical_column_with_hash_bucket("s", 100)
    values = [3, -12, 77777]
    _, from_ints, _ = _ids(ints, {"i": np.array([values], np.int64)})
    _, from_strings, _ = _ids(strings, {"s": np.array([[str(v) for v in values]], object)})
    assert from_ints == from_strings


def test_dense_inputs_drop_missing_values():
    column = fc.categorical_column_with_vocabulary_list("c", ["a", "b", "c"])
    assert _ids(column, {"c": np.array([["b", ""], ["", "c"]], object)}) == (
        [[0, 0], [1, 1]],
        [1, 2],
        [2, 2],
    )
    ident = fc.categorical_column_with_identity("i", 4)
    assert _ids(ident, {"i": np.array([[3, -1], [-1, 0]], np.int32)}) == (
        [[0, 0], [1, 1]],
        [3, 0],
        [2, 2],
    )


def test_vocabulary_list_out_of_vocabulary_and_integer_keys():
    oov = fc.categorical_column_with_vocabulary_list("c", ["a", "b"], num_oov_buckets=3)
    _, ids, _ = _ids(oov, {"c": np.array([["a"], ["zz"], ["b"]], object)})
    assert ids[0] == 0 and ids[2] == 1 and 2 <= ids[1] < 5
    default = fc.categorical_column_with_vocabulary_list("c", ["a", "b"], default_value=7)
    assert _ids(default, {"c": np.array([["b"], ["q"]], object)})[1] == [1, 7]
    ints = fc.categorical_column_with_vocabulary_list("n", [10, 20, 30], dtype=tf.int32)
    assert ints.dtype == tf.int32 and ints._num_buckets == 3
    assert _ids(ints, {"n": np.array([[30], [10], [5]], np.int32)})[1] == [2, 0, -1]


def test_vocabulary_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("red\ngreen\nblue\n")
    column = fc.categorical_column_with_vocabulary_file("c", str(path), num_oov_buckets=1)
    assert column.vocabulary_size == 3 and column._num_buckets == 4
    assert _ids(column, {"c": np.array([["blue"], ["red"], ["pink"]], object)})[1] == [2, 0, 3]
    short = fc.categorical_column_with_vocabulary_file("c", str(path), vocabulary_size=2)
    assert _ids(short, {"c": np.array([["green"], ["blue"]], object)})[1] == [1, -1]


def test_identity_default_value_replaces_out_of_range_ids():
    column = fc.categorical_column_with_identity("i", 5, default_value=0)
    assert _ids(column, {"i": np.array([[4, 9]], np.int64)})[1] == [4, 0]
    with pytest.raises(ValueError, match="Invalid input, not integer. key: i"):
        _ids(column, {"i": np.array([["4"]], object)})


def test_weighted_column_pairs_ids_with_weights():
    ids = fc.categorical_column_with_identity("ids", 5)
    column = fc.weighted_categorical_column(ids, "w")
    assert column.name == "ids_weighted_by_w" and column._num_buckets == 5
    with tf.Graph().as_default():
        features = {"ids": np.array([[1, 3]], np.int64), "w": np.array([[0.5, 0.0]], np.float32)}
        pair = column._get_sparse_tensors(_LazyBuilder(features))
        with tf.Session() as sess:
            ids_value, weights = sess.run([pair.id_tensor, pair.weight_tensor])
    assert ids_value.values.tolist() == [1, 3]
    assert weights.values.tolist() == [0.5] and weights.indices.tolist() == [[0, 0]]
    with pytest.raises(ValueError, match="Bad dtype, expected <dtype: 'float32'>"):
        with tf.Graph().as_default():
            column._get_sparse_tensors(_LazyBuilder({"ids": [[1]], "w": np.array([[1]], np.int64)}))


def test_crossed_column_names_spec_and_hand_computed_cross_count():
    age = fc.bucketized_column(fc.numeric_column("age"), [10.0])
    cross = fc.crossed_column(["b", age, "a"], 10)
    assert cross.name == "a_X_age_bucketized_X_b"
    assert sorted(cross._parse_example_spec) == ["a", "age", "b"]
    features = lambda: {  # noqa: E731  (built inside _ids's graph)
        "a": tf.SparseTensor([[0, 0], [0, 1], [1, 0]], ["x", "y", "z"], [2, 2]),
        "b": tf.SparseTensor([[0, 0], [0, 1], [0, 2]], ["p", "q", "r"], [2, 3]),
        "age": np.array([[5.0], [20.0]], np.float32),
    }
    indices, values, shape = _ids(cross, features)
    # Row 0: 3 b's x 1 bucket x 2 a's; row 1 has no b, so no crosses.
    assert indices == [[0, j] for j in range(6)] and shape == [2, 6]
    assert all(0 <= v < 10 for v in values)


def test_constructor_errors_name_the_column(tmp_path):
    with pytest.raises(ValueError, match="^vocabulary_file in color does not exist.$"):
        fc.categorical_column_with_vocabulary_file("color", str(tmp_path / "missing.txt"))
    with pytest.raises(ValueError, match="Missing vocabulary_file in color."):
        fc.categorical_column_with_vocabulary_file("color", "")
    with pytest.raises(ValueError, match="Duplicate keys in vocabulary_list.*column_name: c"):
        fc.categorical_column_with_vocabulary_list("c", ["a", "a"])
    with pytest.raises(ValueError, match="Can't specify both num_oov_buckets and default_value"):
        fc.categorical_column_with_vocabulary_list("c", ["a"], default_value=3, num_oov_buckets=1)
    with pytest.raises(ValueError, match="dtype <dtype: 'string'> and vocabulary dtype"):
        fc.categorical_column_with_vocabulary_list("c", [1, 2], dtype=tf.string)
    with pytest.raises(ValueError, match="hash_bucket_size must be at least 1.*key: h"):
        fc.categorical_column_with_hash_bucket("h", 0)
    with pytest.raises(ValueError, match="column_name: h dtype must be string or integer"):
        fc.categorical_column_with_hash_bucket("h", 5, dtype=tf.float32)
    with pytest.raises(ValueError, match=r"default_value 5 not in range \[0, 5\), column_name i"):
        fc.categorical_column_with_identity("i", 5, default_value=5)
    with pytest.raises(ValueError, match="keys must be a list with length > 1"):
        fc.crossed_column(["a"], 10)
    with pytest.raises(ValueError, match="categorical_column_with_hash_bucket is not supported"):
        fc.crossed_column(["a", fc.categorical_column_with_hash_bucket("h", 5)], 10)
    with pytest.raises(ValueError, match="dtype <dtype: 'string'> is not convertible to float"):
        fc.weighted_categorical_column(fc.categorical_column_with_identity("i", 2), "w", tf.string)


def test_input_dtype_must_match_the_column():
    column = fc.categorical_column_with_hash_bucket("h", 5)
    with pytest.raises(
        ValueError,
        match="Column dtype and SparseTensors dtype must be compatible. "
        "key: h, column dtype: <dtype: 'string'>, tensor dtype: <dtype: 'int64'>",
    ):
        _ids(column, {"h": np.array([[1]], np.int64)})
