"""Dense columns against hand-computed tensors: numeric, bucketized, indicator, embedding
(combiners, max_norm, partitioned weights, checkpoints) and shared embeddings."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf

fc = tf.feature_column


def _input_layer(features, columns, **kwargs):
    with tf.Graph().as_default():
        out = fc.input_layer(features() if callable(features) else features, columns, **kwargs)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            return sess.run(out)


def test_numeric_column_casts_normalizes_and_keeps_its_shape():
    column = fc.numeric_column("x", shape=(2, 2), dtype=tf.int64, normalizer_fn=lambda t: t * 2)
    assert column._variable_shape.as_list() == [2, 2]
    out = _input_layer({"x": np.array([[[1, 2], [3, 4]]], np.int64)}, [column])
    np.testing.assert_array_equal(out, [[2.0, 4.0, 6.0, 8.0]])
    assert out.dtype == np.float32


def test_numeric_column_default_values_and_errors():
    assert fc.numeric_column("x", shape=(2,), default_value=3).default_value == (3, 3)
    assert fc.numeric_column("x", shape=2, default_value=[1.0, 2.0]).default_value == (1.0, 2.0)
    with pytest.raises(ValueError, match="The shape of default_value must be equal"):
        fc.numeric_column("x", shape=(2,), default_value=[1.0])
    with pytest.raises(TypeError, match="default_value must be compatible with dtype"):
        fc.numeric_column("x", default_value=1.5, dtype=tf.int32)
    with pytest.raises(ValueError, match="shape dimensions must be greater than 0"):
        fc.numeric_column("x", shape=(0,))
    with pytest.raises(ValueError, match="dtype must be convertible to float. dtype: <dtype"):
        fc.numeric_column("x", dtype=tf.string)
    with pytest.raises(ValueError, match="key must be a string"):
        fc.numeric_column(3)


def test_rank_one_features_get_a_last_dimension_even_with_unknown_rank():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32)  # rank unknown: expanded when fed a vector
        out = fc.input_layer({"x": x}, [fc.numeric_column("x")])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(out, {x: [1.0, 2.0]}), [[1.0], [2.0]])
            np.testing.assert_array_equal(sess.run(out, {x: [[3.0]]}), [[3.0]])


def test_bucketized_one_hot_and_ids_per_source_dimension():
    source = fc.numeric_column("x", shape=(2,))
    column = fc.bucketized_column(source, [0.0, 10.0])
    assert column.name == "x_bucketized" and column._num_buckets == 6
    out = _input_layer({"x": np.array([[-1.0, 10.0], [5.0, 0.0]], np.float32)}, [column])
    np.testing.assert_array_equal(out, [[1, 0, 0, 0, 0, 1], [0, 1, 0, 0, 1, 0]])
    with tf.Graph().as_default():
        builder = fc_base_builder({"x": np.array([[-1.0, 10.0], [5.0, 0.0]], np.float32)})
        ids = column._get_sparse_tensors(builder).id_tensor
        with tf.Session() as sess:
            assert sess.run(ids).values.tolist() == [0, 5, 1, 4]  # dimension d adds 3 * d
    with pytest.raises(ValueError, match="boundaries must be a sorted list"):
        fc.bucketized_column(source, [1.0, 1.0])
    with pytest.raises(ValueError, match="source_column must be a column generated with"):
        fc.bucketized_column(column, [1.0])


def fc_base_builder(features):
    from flowgraph.feature_column.base import _LazyBuilder

    return _LazyBuilder(features)


def test_indicator_counts_repeated_ids_and_sums_weights():
    ids = fc.categorical_column_with_identity("ids", 4)
    counts = _input_layer({"ids": np.array([[1, 1, 3]], np.int64)}, [fc.indicator_column(ids)])
    np.testing.assert_array_equal(counts, [[0, 2, 0, 1]])
    weighted = fc.indicator_column(fc.weighted_categorical_column(ids, "w"))
    features = {"ids": np.array([[2, 0]], np.int64), "w": np.array([[0.5, 4.0]], np.float32)}
    np.testing.assert_array_equal(_input_layer(features, [weighted]), [[4.0, 0, 0.5, 0]])


TABLE = np.arange(12, dtype=np.float32).reshape(4, 3)


@pytest.mark.parametrize(
    "combiner, expected",
    [
        ("sum", [TABLE[0] + TABLE[2], TABLE[3], np.zeros(3)]),
        ("mean", [(TABLE[0] + TABLE[2]) / 2, TABLE[3], np.zeros(3)]),
        ("sqrtn", [(TABLE[0] + TABLE[2]) / np.sqrt(2), TABLE[3], np.zeros(3)]),
    ],
)
def test_embedding_combiners_and_empty_rows(combiner, expected):
    ids = fc.categorical_column_with_identity("ids", 4)
    column = fc.embedding_column(ids, 3, combiner=combiner,
                                 initializer=tf.constant_initializer(TABLE))  # fmt: skip
    features = {"ids": np.array([[0, 2], [3, -1], [-1, -1]], np.int64)}
    np.testing.assert_allclose(_input_layer(features, [column]), expected, rtol=1e-6)


def test_embedding_max_norm_and_partitioned_weights():
    ids = fc.categorical_column_with_identity("ids", 4)
    column = fc.embedding_column(ids, 3, max_norm=1.0, initializer=tf.constant_initializer(TABLE))
    features = {"ids": np.array([[1], [3]], np.int64)}
    expected = TABLE[[1, 3]] / np.linalg.norm(TABLE[[1, 3]], axis=1, keepdims=True)
    np.testing.assert_allclose(_input_layer(features, [column]), expected, rtol=1e-5)

    def rows_of_table(shape, dtype=None, partition_info=None):
        start = partition_info.var_offset[0] if partition_info else 0
        return tf.constant(TABLE[start : start + shape[0]])

    plain = fc.embedding_column(ids, 3, initializer=rows_of_table)
    with tf.Graph().as_default():
        with tf.variable_scope("m", partitioner=tf.fixed_size_partitioner(2)):
            out = fc.input_layer(features, [plain])
        assert sorted(v.name for v in tf.global_variables()) == [
            "m/input_layer/ids_embedding/embedding_weights/part_0:0",
            "m/input_layer/ids_embedding/embedding_weights/part_1:0",
        ]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_allclose(sess.run(out), TABLE[[1, 3]])


def test_embedding_restored_from_a_checkpoint(tmp_path):
    with tf.Graph().as_default():
        tf.Variable(TABLE * 2, name="old/table")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "model.ckpt"))
    ids = fc.categorical_column_with_identity("ids", 4)
    column = fc.embedding_column(ids, 3, ckpt_to_load_from=path, tensor_name_in_ckpt="old/table")
    out = _input_layer({"ids": np.array([[2]], np.int64)}, [column])
    np.testing.assert_allclose(out, [TABLE[2] * 2])
    with pytest.raises(ValueError, match="Must specify both `ckpt_to_load_from`"):
        fc.embedding_column(ids, 3, ckpt_to_load_from=path)
    with pytest.raises(ValueError, match="Invalid dimension 0."):
        fc.embedding_column(ids, 0)


def test_embedding_trainable_false_and_sequence_column_errors():
    ids = fc.categorical_column_with_identity("ids", 4)
    with tf.Graph().as_default():
        fc.input_layer({"ids": [[1]]}, [fc.embedding_column(ids, 2, trainable=False)])
        assert tf.trainable_variables() == [] and len(tf.global_variables()) == 1


def test_shared_embeddings_share_one_variable_and_check_their_columns():
    a = fc.categorical_column_with_identity("a", 4)
    b = fc.categorical_column_with_identity("b", 4)
    columns = fc.shared_embedding_columns([a, b], 3, initializer=tf.constant_initializer(TABLE))
    assert [c.name for c in columns] == ["a_shared_embedding", "b_shared_embedding"]
    with tf.Graph().as_default() as g:
        features = {"a": np.array([[1]], np.int64), "b": np.array([[2]], np.int64)}
        out = fc.input_layer(features, columns)
        (var,) = tf.global_variables()
        assert var.name == "input_layer/a_b_shared_embedding/embedding_weights:0"
        assert g.get_collection("a_b_shared_embedding") == [var]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_allclose(sess.run(out), [np.concatenate([TABLE[1], TABLE[2]])])
    c = fc.categorical_column_with_identity("c", 5)
    with pytest.raises(ValueError, match="must have the same number of buckets"):
        fc.shared_embedding_columns([a, c], 3)
    h = fc.categorical_column_with_hash_bucket("h", 4)
    with pytest.raises(ValueError, match="must have the same type"):
        fc.shared_embedding_columns([a, h], 3)
