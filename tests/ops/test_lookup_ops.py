"""Lookup tables: static tables and their initializers, vocabulary tables with TF's
out-of-vocabulary buckets, contrib-era index tables, mutable and dense tables."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.framework.ops import apply_op
from flowgraph.ops import lookup_ops as lookup

OP_TYPES_TESTED = {
    "HashTableV2",
    "MutableHashTableV2",
    "MutableHashTableOfTensorsV2",
    "MutableDenseHashTableV2",
    "LookupTableImportV2",
    "InitializeTableV2",
    "InitializeTableFromTextFileV2",
    "LookupTableFindV2",
    "LookupTableInsertV2",
    "LookupTableRemoveV2",
    "LookupTableSizeV2",
    "LookupTableExportV2",
}
NOT_DIFFERENTIABLE = {t: "a table resource op (TF: NotDifferentiable)" for t in OP_TYPES_TESTED}

WORDS = ["lake", "xyz", "abc", "palmer", "", "emerson"]


@pytest.fixture
def graph():
    with tf.Graph().as_default() as g:
        yield g


@pytest.fixture
def vocab(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("emerson\nlake\npalmer\n")
    return str(path)


def _initialized_run(fetches):
    with tf.Session() as sess:
        sess.run(lookup.tables_initializer())
        return sess.run(fetches)


def test_static_hash_table_needs_its_initializer(graph):
    init = lookup.KeyValueTensorInitializer(["a", "b", "c"], [1, 2, 3], value_dtype=tf.int64)
    table = lookup.StaticHashTable(init, default_value=-1)
    out = table.lookup(tf.constant([["a", "z"], ["c", "b"]]))
    assert table.resource_handle.op.type == "HashTableV2" and table.name == "hash_table"
    assert out.op.name == "hash_table_Lookup/LookupTableFindV2" and out.shape.as_list() == [2, 2]
    assert graph.get_collection(tf.GraphKeys.TABLE_INITIALIZERS) == [table.initializer]
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="Table not initialized"):
            sess.run(out)
        sess.run(lookup.initialize_all_tables())
        assert sess.run(out).tolist() == [[1, -1], [3, 2]]
        assert sess.run(table.size()) == 3
    with tf.Session() as other:  # each session holds its own table
        with pytest.raises(tf.errors.FailedPreconditionError):
            other.run(out)


def test_hash_table_key_dtype_is_checked(graph):
    table = lookup.HashTable(lookup.KeyValueTensorInitializer([1, 2], [1.5, 2.5], tf.int64), 0.0)
    with pytest.raises((TypeError, ValueError)):
        table.lookup(tf.constant(["a"]))
    assert _initialized_run(table.lookup(tf.constant([2, 3], tf.int64))).tolist() == [2.5, 0.0]


def test_text_file_initializer_columns_and_errors(graph, tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text("a\t10\nb\t20\nc\t30\n")
    by_column = lookup.StaticHashTable(
        lookup.TextFileInitializer(str(path), tf.string, 0, tf.int64, 1), -1
    )
    by_line = lookup.StaticHashTable(
        lookup.TextFileInitializer(
            str(path),
            tf.int64,
            lookup.TextFileIndex.LINE_NUMBER,
            tf.string,
            lookup.TextFileIndex.WHOLE_LINE,
            vocab_size=2,
        ),
        "?",
    )
    got = _initialized_run(
        [
            by_column.lookup(tf.constant(["c", "a", "q"])),
            by_line.lookup(tf.constant([1, 2], tf.int64)),
        ]
    )
    assert got[0].tolist() == [30, 10, -1] and got[1].tolist() == [b"b\t20", b"?"]
    too_long = lookup.StaticHashTable(
        lookup.TextFileInitializer(str(path), tf.string, 0, tf.int64, 1, vocab_size=5), -1
    )
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid vocab_size"):
            sess.run(too_long.initializer)
    with pytest.raises(ValueError, match="Signature mismatch"):
        lookup.TextFileInitializer(
            str(path), tf.string, lookup.TextFileIndex.LINE_NUMBER, tf.int64, 1
        )


def test_text_file_with_conflicting_duplicates_fails(graph, tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("a\t1\na\t2\n")
    table = lookup.StaticHashTable(
        lookup.TextFileInitializer(str(path), tf.string, 0, tf.int64, 1), -1
    )
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="different value"):
            sess.run(table.initializer)


# TensorFlow's ids (tests/fixtures/lookup_tables_tf.py): Fingerprint64 buckets.
def test_static_vocabulary_table_matches_tf(graph, vocab):
    table = lookup.StaticVocabularyTable(
        lookup.TextFileInitializer(
            vocab,
            tf.string,
            lookup.TextFileIndex.WHOLE_LINE,
            tf.int64,
            lookup.TextFileIndex.LINE_NUMBER,
        ),
        3,
    )
    ints = lookup.StaticVocabularyTable(
        lookup.KeyValueTensorInitializer(
            tf.constant([42, 7, 1000], tf.int64), tf.constant([0, 1, 2], tf.int64)
        ),
        4,
    )
    got = _initialized_run(
        [
            table.lookup(tf.constant(WORDS)),
            table.size(),
            ints.lookup(tf.constant([7, 5, 42, -3, 123456789], tf.int64)),
        ]
    )
    assert got[0].tolist() == [1, 4, 5, 2, 5, 0] and got[1] == 6
    assert got[2].tolist() == [1, 6, 0, 6, 5]


def test_index_tables_from_tensor_and_file(graph, vocab):
    plain = lookup.index_table_from_tensor(["emerson", "lake", "palmer"])
    buckets = lookup.index_table_from_tensor(
        tf.constant(["emerson", "lake", "palmer"]), num_oov_buckets=3
    )
    from_file = lookup.index_table_from_file(vocab, num_oov_buckets=3)
    to_string = lookup.index_to_string_table_from_tensor(["emerson", "lake", "palmer"])
    to_string_file = lookup.index_to_string_table_from_file(vocab, default_value="none")
    words = tf.constant(WORDS)
    got = _initialized_run(
        [
            plain.lookup(words),
            buckets.lookup(words),
            from_file.lookup(words),
            to_string.lookup(tf.constant([2, 0, 7], tf.int64)),
            to_string_file.lookup(tf.constant([1, -1], tf.int64)),
            lookup.index_to_string(tf.constant([1], tf.int64), ["x", "y"]),
        ]
    )
    assert got[0].tolist() == [1, -1, -1, 2, -1, 0]
    assert got[1].tolist() == got[2].tolist() == [1, 4, 5, 2, 5, 0]
    assert got[3].tolist() == [b"palmer", b"emerson", b"UNK"]
    assert got[4].tolist() == [b"lake", b"none"] and got[5].tolist() == [b"y"]


def test_initialize_table_v2_is_tf1s_once_only_initializer(graph):
    table = lookup.StaticHashTable(
        lookup.KeyValueTensorInitializer(["a"], [1], tf.string, tf.int64), -1
    )
    init = apply_op(
        "InitializeTableV2",
        [table.resource_handle, tf.constant(["b"]), tf.constant([2], tf.int64)],
        Tkey=np.dtype(object),
        Tval=np.dtype(np.int64),
    )
    with tf.Session() as sess:
        sess.run(init)
        assert sess.run(table.lookup(tf.constant(["a", "b"]))).tolist() == [-1, 2]
        with pytest.raises(tf.errors.FailedPreconditionError, match="already initialized"):
            sess.run(init)


def test_mutable_hash_table_insert_remove_export(graph):
    table = lookup.MutableHashTable(tf.string, tf.int64, default_value=-1)
    keys = tf.placeholder(tf.string, [None])
    insert = table.insert(keys, tf.constant([5, 6, 7], tf.int64))
    remove = table.remove(tf.constant(["y", "absent"]))
    found = table.lookup(tf.constant(["x", "y", "q"]))
    exported = table.export()
    with tf.Session() as sess:
        assert sess.run(found).tolist() == [-1, -1, -1]  # mutable tables start empty
        sess.run(insert, {keys: ["x", "y", "z"]})
        assert sess.run([found, table.size()])[0].tolist() == [5, 6, -1]
        sess.run(remove)
        got_keys, got_values = sess.run(exported)
    assert dict(zip(got_keys.tolist(), got_values.tolist())) == {b"x": 5, b"z": 7}


def test_mutable_hash_table_of_tensors(graph):
    table = lookup.MutableHashTable(tf.int64, tf.float32, default_value=[0.0, -1.0])
    insert = table.insert(tf.constant([3, 4], tf.int64), [[1.0, 2.0], [3.0, 4.0]])
    found = table.lookup(tf.constant([[4], [9]], tf.int64))
    assert table.resource_handle.op.type == "MutableHashTableOfTensorsV2"
    assert found.shape.as_list() == [2, 1, 2]
    with tf.Session() as sess:
        sess.run(insert)
        np.testing.assert_array_equal(sess.run(found), [[[3.0, 4.0]], [[0.0, -1.0]]])
        with pytest.raises(tf.errors.InvalidArgumentError, match="Expected shape"):
            sess.run(table.insert(tf.constant([1], tf.int64), [[1.0, 2.0, 3.0]]))


def test_dense_hash_table_reserves_its_empty_and_deleted_keys(graph):
    table = lookup.DenseHashTable(tf.int64, tf.int64, default_value=-1, empty_key=0, deleted_key=-1)
    assert table.resource_handle.op.type == "MutableDenseHashTableV2"
    with tf.Session() as sess:
        sess.run(table.insert(tf.constant([11, 12], tf.int64), tf.constant([1, 2], tf.int64)))
        sess.run(table.remove(tf.constant([11], tf.int64)))
        got = sess.run(table.lookup(tf.constant([11, 12], tf.int64)))
        assert got.tolist() == [-1, 2]
        with pytest.raises(tf.errors.InvalidArgumentError, match="empty key"):
            sess.run(table.lookup(tf.constant([0], tf.int64)))


def test_static_tables_reject_inserts(graph):
    table = lookup.StaticHashTable(
        lookup.KeyValueTensorInitializer(["a"], [1], tf.string, tf.int64), -1
    )
    insert = apply_op(
        "LookupTableInsertV2",
        [table.resource_handle, tf.constant(["b"]), tf.constant([2], tf.int64)],
        Tin=np.dtype(object),
        Tout=np.dtype(np.int64),
    )
    with tf.Session() as sess:
        sess.run(lookup.tables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not support inserts"):
            sess.run(insert)


def test_tables_initializer_without_tables_is_a_no_op(graph):
    op = lookup.tables_initializer()
    assert op.type == "NoOp" and op.name == "init_all_tables"


def test_saver_saves_and_restores_mutable_tables(graph, tmp_path):
    # Integer keys: tables of strings are not saved yet (no string tensors in checkpoints).
    table = lookup.MutableHashTable(tf.int64, tf.int64, default_value=-1, name="ids")
    dense = lookup.DenseHashTable(tf.int64, tf.float32, 0.0, empty_key=-1, deleted_key=-2)
    unsaved = lookup.MutableHashTable(tf.string, tf.int64, -1, checkpoint=False)
    fill = [
        table.insert(tf.constant([10, 20], tf.int64), tf.constant([1, 2], tf.int64)),
        dense.insert(tf.constant([7], tf.int64), [0.5]),
        unsaved.insert(["a"], tf.constant([9], tf.int64)),
    ]
    saver = tf.train.Saver()
    found = [
        table.lookup(tf.constant([10, 20, 30], tf.int64)),
        dense.lookup(tf.constant([7], tf.int64)),
        unsaved.lookup(["a"]),
    ]
    with tf.Session() as sess:
        sess.run(fill)
        path = saver.save(sess, str(tmp_path / "model"))
    names = [name for name, _ in tf.train.list_variables(path)]
    assert "ids-keys" in names and "ids-values" in names
    with tf.Session() as sess:  # a new session: empty tables until restored
        assert sess.run(found[0]).tolist() == [-1, -1, -1]
        saver.restore(sess, path)
        got = sess.run(found)
    assert got[0].tolist() == [1, 2, -1] and got[1].tolist() == [0.5] and got[2].tolist() == [-1]


def test_string_tables_do_not_break_a_default_saver(graph, tmp_path):
    table = lookup.MutableHashTable(tf.string, tf.int64, default_value=-1)
    v = tf.Variable(3.0)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run([v.initializer, table.insert(["a"], tf.constant([1], tf.int64))])
        path = saver.save(sess, str(tmp_path / "model"))
    assert [name for name, _ in tf.train.list_variables(path)] == ["Variable"]
