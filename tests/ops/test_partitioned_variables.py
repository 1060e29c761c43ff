"""Partitioned variables: partitioners, `part_N` slices, PartitionedVariable, reuse,
embedding lookups over the slices with "mod" and "div", saving the slices."""

from __future__ import annotations

import numpy as np
import pytest

import flowgraph as tf
from flowgraph.ops import partitioned_variables as pv

FULL = np.arange(30, dtype=np.float32).reshape(10, 3)


@pytest.fixture
def graph():
    with tf.Graph().as_default() as g:
        yield g


def _shapes(variable):
    return [p.shape.as_list() for p in variable]


def test_get_variable_with_partitioner_makes_part_n_slices(graph):
    with tf.variable_scope("s"):
        v = tf.get_variable(
            "emb",
            [10, 3],
            initializer=tf.constant_initializer(1.0),
            partitioner=pv.fixed_size_partitioner(3),
            regularizer=tf.nn.l2_loss,
        )
    assert isinstance(v, pv.PartitionedVariable) and v.name == "s/emb" and len(v) == 3
    assert v.get_shape().as_list() == [10, 3] and v.dtype == tf.float32
    names = ["s/emb/part_0:0", "s/emb/part_1:0", "s/emb/part_2:0"]
    assert [p.name for p in v] == names and _shapes(v) == [[4, 3], [3, 3], [3, 3]]
    assert [x.name for x in tf.global_variables()] == names
    assert [x.name for x in tf.trainable_variables()] == names
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert [t.name for t in losses] == [f"s/emb/part_{i}/Regularizer/L2Loss:0" for i in range(3)]
    info = list(v)[1]._save_slice_info  # TF's slice spec of part 1
    assert (info.full_name, info.var_offset, info.var_shape) == ("s/emb", [4, 0], [3, 3])
    assert list(v)[0]._save_slice_info.spec == "10 3 0,4:0,3"


def test_as_tensor_concatenates_and_assign_splits(graph):
    v = tf.get_variable("v", [10, 3], partitioner=pv.fixed_size_partitioner(3))
    t = tf.convert_to_tensor(v)
    assert t.name == "v:0" and t.op.type == "Identity"
    assert t.op.inputs[0].name == "v/ConcatPartitions/concat:0"
    assign = v.assign(FULL)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(assign)
        np.testing.assert_array_equal(sess.run(t), FULL)
        np.testing.assert_array_equal(sess.run(list(v)[2]), FULL[7:])


def test_partitioners_follow_tf_sizing(graph):
    by_bytes = tf.get_variable("w", [7, 2], partitioner=pv.variable_axis_size_partitioner(20))
    capped = tf.get_variable(
        "c", [7, 2], partitioner=pv.variable_axis_size_partitioner(8, max_shards=3)
    )
    min_max = tf.get_variable(
        "m",
        [1000, 64],
        partitioner=pv.min_max_variable_partitioner(max_partitions=5, min_slice_size=64 << 10),
    )
    one = tf.get_variable("o", [8, 2], partitioner=pv.min_max_variable_partitioner(5))
    columns = tf.get_variable("k", [2, 5], partitioner=pv.fixed_size_partitioner(2, axis=1))
    # The shapes TF 2.21 gives for the same calls.
    assert _shapes(by_bytes) == [[2, 2], [2, 2], [2, 2], [1, 2]]
    assert _shapes(capped) == [[3, 2], [2, 2], [2, 2]]
    assert _shapes(min_max) == [[250, 64]] * 4
    assert _shapes(one) == [[8, 2]] and [p.name for p in one] == ["o/part_0:0"]
    assert _shapes(columns) == [[2, 3], [2, 2]]


def test_initializers_get_the_slice_shape_and_partition_info(graph):
    calls = []

    def init(shape, dtype=None, partition_info=None):
        calls.append(
            (
                shape,
                partition_info.full_shape,
                partition_info.var_offset,
                partition_info.single_offset(shape),
                partition_info.single_slice_dim(shape),
            )
        )
        return tf.fill(shape, float(partition_info.var_offset[1]))

    x = tf.get_variable(
        "x", [5, 4], initializer=init, partitioner=pv.fixed_size_partitioner(2, axis=1)
    )
    from_value = tf.get_variable(
        "y", initializer=tf.constant(FULL), partitioner=pv.fixed_size_partitioner(4)
    )
    assert calls == [([5, 2], [5, 4], [0, 0], 0, 1), ([5, 2], [5, 4], [0, 2], 2, 1)]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_x, got_y = sess.run([tf.convert_to_tensor(x), tf.convert_to_tensor(from_value)])
    np.testing.assert_array_equal(got_x, np.repeat([[0.0, 0.0, 2.0, 2.0]], 5, 0))
    np.testing.assert_array_equal(got_y, FULL)
    assert _shapes(from_value) == [[3, 3], [3, 3], [2, 3], [2, 3]]


def test_reuse_rules(graph):
    part = pv.fixed_size_partitioner(2)
    with tf.variable_scope("r"):
        v = tf.get_variable("v", [4, 2], partitioner=part)
        with pytest.raises(ValueError, match="already exists"):
            tf.get_variable("v", [4, 2], partitioner=part)
        with pytest.raises(ValueError, match="unpartitioned version"):
            tf.get_variable("plain", [4])
            tf.get_variable("plain", [4], partitioner=part)
    with tf.variable_scope("r", reuse=True):
        assert tf.get_variable("v", [4, 2], partitioner=part) is v
        with pytest.raises(ValueError, match="specified partitions"):
            tf.get_variable("v", [4, 2], partitioner=pv.fixed_size_partitioner(4))
        with pytest.raises(ValueError, match="does not exist"):
            tf.get_variable("missing", [4, 2], partitioner=part)
    with pytest.raises(ValueError, match="one dimension"):
        tf.get_variable("two_axes", [4, 4], partitioner=lambda shape, dtype: [2, 2])
    with pytest.raises(ValueError, match="fully defined"):
        tf.get_variable("unknown", [None, 2], partitioner=part, validate_shape=False)


@pytest.mark.parametrize("strategy", ["mod", "div"])
def test_embedding_lookup_over_the_slices(graph, strategy):
    v = tf.get_variable(
        "emb", initializer=tf.constant(FULL), partitioner=pv.fixed_size_partitioner(3)
    )
    ids = tf.constant([[0, 4], [9, 3]])
    rows = tf.nn.embedding_lookup(v, ids, partition_strategy=strategy)
    loss = tf.reduce_sum(rows * rows)
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    # The shards are rows 0-3, 4-6 and 7-9 of FULL. "mod" looks id i up in shard i % 3 at
    # row i // 3; "div" gives the shards contiguous blocks of ids, so id i is row i.
    ids_to_rows = {0: 0, 4: 5, 9: 3, 3: 1} if strategy == "mod" else {0: 0, 4: 4, 9: 9, 3: 3}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(rows)
        sess.run(train)
        after = sess.run(tf.convert_to_tensor(v))
    expected = FULL[[[ids_to_rows[i] for i in r] for r in [[0, 4], [9, 3]]]]
    np.testing.assert_array_equal(got, expected)
    touched = sorted(ids_to_rows.values())
    np.testing.assert_allclose(after[touched], 0.0)  # x - 0.5 * 2x
    untouched = [i for i in range(10) if i not in touched]
    np.testing.assert_array_equal(after[untouched], FULL[untouched])


def test_create_partitioned_variables(graph):
    parts = pv.create_partitioned_variables([5, 2], [2, 1], tf.ones_initializer(), name="cpv")
    assert [p.name for p in parts] == ["cpv/part_0:0", "cpv/part_1:0"]
    assert [p.shape.as_list() for p in parts] == [[3, 2], [2, 2]]
    with pytest.raises(ValueError, match="must have the length"):
        pv.create_partitioned_variables([5, 2], [2], tf.ones_initializer())


def test_saver_saves_and_restores_the_slices(graph, tmp_path):
    v = tf.get_variable(
        "v", initializer=tf.constant(FULL), partitioner=pv.fixed_size_partitioner(2)
    )
    saver = tf.train.Saver()
    zero = v.assign(np.zeros_like(FULL))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "model"))
        sess.run(zero)
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(tf.convert_to_tensor(v)), FULL)
    # As TF's Saver: the parts are slices of one full variable in the checkpoint.
    assert tf.train.list_variables(path) == [("v", list(FULL.shape))]
    np.testing.assert_array_equal(tf.train.load_variable(path, "v"), FULL)
