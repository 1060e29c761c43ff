"""TensorFlow 1.x's files: V1 checkpoints (`kernels/checkpoint_v1.py`, fixtures written by
TF's `Saver(write_version=V1)`, `tests/fixtures/make_tf_v1_checkpoint.py`), snappy-compressed
table blocks, GraphDef-version-21 placeholders."""

import json
import pathlib
import struct

import numpy as np
import pytest

import flowgraph as tf
from kernels import checkpoint_v1
from kernels.leveldb_table import CorruptionError, put_varint, snappy_uncompress

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tf_v1_checkpoint"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())

OP_TYPES_TESTED = {"Save", "SaveSlices", "Restore", "RestoreSlice", "ShardedFilespec"}
NOT_DIFFERENTIABLE = {
    "Save": "writes a V1 checkpoint file; no tensor output",
    "SaveSlices": "writes slices to a V1 checkpoint file; no tensor output",
    "Restore": "reads a tensor from a file; no differentiable input",
    "RestoreSlice": "reads a slice of a tensor from a file; no differentiable input",
    "ShardedFilespec": "a string",
}


def _expected(name):
    e = EXPECTED[name]
    values = e["values"]
    if e["dtype"] == "object":
        return np.array([v.encode("latin-1") for v in values], object).reshape(e["shape"])
    if e["dtype"].startswith("complex"):
        values = [complex(*v) for v in values]
    return np.array(values, e["dtype"]).reshape(e["shape"])


def _assert_same(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_checkpoint_reader_reads_tensorflows_v1_checkpoint():
    prefix = str(FIXTURE / "model.ckpt")
    reader = tf.train.NewCheckpointReader(prefix)
    assert reader.get_variable_to_shape_map() == EXPECTED["_variable_to_shape_map"]
    for name in EXPECTED["_variable_to_shape_map"]:
        _assert_same(np.asarray(reader.get_tensor(name)), _expected(name))
    assert dict(tf.train.list_variables(prefix))["part"] == [7, 2]
    _assert_same(np.asarray(tf.train.load_variable(prefix, "s")), _expected("s"))


def test_sharded_v1_checkpoint_reads_through_its_file_pattern():
    pattern = str(FIXTURE / "sharded.ckpt-?????-of-00002")
    reader = tf.train.NewCheckpointReader(pattern)
    assert reader.get_variable_to_shape_map() == {"shard_a": [2], "shard_b": [1, 2]}
    _assert_same(np.asarray(reader.get_tensor("shard_a")), _expected("shard_a"))
    _assert_same(np.asarray(reader.get_tensor("shard_b")), _expected("shard_b"))


def test_saver_restores_a_v1_checkpoint_into_a_new_graph_and_partitioned_slices():
    prefix = str(FIXTURE / "model.ckpt")
    with tf.Graph().as_default(), tf.Session() as sess:
        f32 = tf.Variable(np.zeros((2, 3), np.float32), name="f32")
        s = tf.Variable(np.array([b"", b"", b""], object), name="s")
        part = tf.get_variable("part", [7, 2], tf.float32, tf.zeros_initializer(),
                               partitioner=tf.fixed_size_partitioner(2))  # fmt: skip
        tf.train.Saver([f32, s, part]).restore(sess, prefix)
        _assert_same(sess.run(f32), _expected("f32"))
        _assert_same(sess.run(s), _expected("s"))
        # Two partitions read from three stored slices.
        _assert_same(sess.run(tf.convert_to_tensor(part)), _expected("part"))


def test_tensorflows_v1_metagraph_imports_and_restores():
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        saver = tf.train.import_meta_graph(str(FIXTURE / "model.ckpt.meta"))
        assert {op.type for op in graph.get_operations()} >= {"SaveSlices", "RestoreV2"}
        saver.restore(sess, str(FIXTURE / "model.ckpt"))
        _assert_same(sess.run("i64:0"), _expected("i64"))
        _assert_same(sess.run("c64:0"), _expected("c64"))


def test_v1_write_then_read_every_dtype_and_slices(tmp_path):
    path = str(tmp_path / "v1.ckpt")
    arrays = {name: _expected(name) for name in ("f32", "f64", "i32", "i64", "b", "s", "f16",
                                                   "c64", "u8", "scalar")}  # fmt: skip
    whole = np.arange(12, dtype=np.int64).reshape(4, 3)
    items = [(n, None, v) for n, v in arrays.items()]
    items += [("sliced", ([4, 3], [(0, 1), (0, -1)]), whole[:1]),
              ("sliced", ([4, 3], [(1, 3), (0, -1)]), whole[1:])]  # fmt: skip
    checkpoint_v1.write(path, items)
    reader = checkpoint_v1.Reader(path)
    assert reader.names() == sorted([*arrays, "sliced"])
    for name, value in arrays.items():
        _assert_same(reader.read(name), np.asarray(value))
    _assert_same(reader.read("sliced"), whole)
    _assert_same(reader.read("sliced", [(1, 2), (1, 2)]), whole[1:3, 1:3])
    assert reader.shape_and_dtype("sliced") == ((4, 3), np.dtype(np.int64))


def test_save_slices_op_writes_a_v1_checkpoint_that_restore_slice_reads(tmp_path):
    path = str(tmp_path / "ops.ckpt")
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
        save = tf.raw_ops.SaveSlices(filename=path, tensor_names=["x", "y"],
                                     shapes_and_slices=["", ""],
                                     data=[x, tf.constant([b"a", b"bc"])])  # fmt: skip
        sess.run(save)
        part = tf.raw_ops.RestoreSlice(file_pattern=path, tensor_name="x",
                                       shape_and_slice="3 2 1,2:0,1", dt=tf.float32)  # fmt: skip
        whole = tf.raw_ops.Restore(file_pattern=path, tensor_name="y", dt=tf.string)
        np.testing.assert_array_equal(sess.run(part), [[2.0], [4.0]])
        np.testing.assert_array_equal(sess.run(whole), [b"a", b"bc"])
        wrong = tf.raw_ops.Restore(file_pattern=path, tensor_name="x", dt=tf.int32)
        with pytest.raises(tf.errors.InvalidArgumentError, match="type float32"):
            sess.run(wrong)
        missing = tf.raw_ops.Restore(file_pattern=path, tensor_name="z", dt=tf.float32)
        with pytest.raises(tf.errors.NotFoundError, match="Key z not found"):
            sess.run(missing)


def test_corrupted_or_truncated_v1_file_is_a_data_loss_error_naming_it(tmp_path):
    data = (FIXTURE / "model.ckpt").read_bytes()
    damaged = tmp_path / "damaged.ckpt"
    damaged.write_bytes(data[:40] + bytes([data[40] ^ 0x20]) + data[41:])
    with pytest.raises(tf.errors.DataLossError, match="damaged.ckpt"):
        tf.train.NewCheckpointReader(str(damaged)).get_tensor("f32")
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(data[: len(data) - 60] + data[-8:])  # the magic survives
    with pytest.raises(tf.errors.DataLossError, match="truncated.ckpt"):
        checkpoint_v1.Reader(str(truncated))


def _snappy(size, *elements):
    return put_varint(size) + b"".join(elements)


def test_snappy_uncompress_literals_and_each_copy_kind():
    long_literal = bytes(range(100))
    stream = _snappy(
        4 + 8 + 3 + 100 + 5,
        bytes([(4 - 1) << 2]) + b"abcd",  # a literal of 4
        bytes([((8 - 4) << 2) | 1, 4]),  # copy, 1-byte offset 4, length 8 (overlapping)
        bytes([((3 - 1) << 2) | 2]) + struct.pack("<H", 12),  # copy, 2-byte offset
        bytes([60 << 2, 99]) + long_literal,  # a literal whose length is in one more byte
        bytes([((5 - 1) << 2) | 3]) + struct.pack("<I", 100),  # copy, 4-byte offset
    )
    assert snappy_uncompress(stream) == (
        b"abcd" + b"abcdabcd" + b"abc" + long_literal + long_literal[:5]
    )
    with pytest.raises(CorruptionError, match="offset"):
        snappy_uncompress(_snappy(8, bytes([(4 - 1) << 2]) + b"abcd", bytes([(0 << 2) | 1, 9])))
    with pytest.raises(CorruptionError, match="header says 9"):
        snappy_uncompress(_snappy(9, bytes([(4 - 1) << 2]) + b"abcd"))
    with pytest.raises(CorruptionError, match="past the end"):
        snappy_uncompress(_snappy(4, bytes([(4 - 1) << 2]) + b"ab"))


@pytest.mark.parametrize("producer, rank", [(21, None), (22, 0)])
def test_an_old_graphdefs_empty_placeholder_shape_means_unknown(producer, rank):
    with tf.Graph().as_default() as source:
        tf.placeholder(tf.float32, shape=[], name="p")
    graph_def = source.as_graph_def()
    graph_def.versions.producer = producer
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(graph_def, name="")
        p = graph.get_tensor_by_name("p:0")
        assert p.shape.ndims == rank
        with tf.Session() as sess:
            fed = np.ones((2, 3), np.float32) if producer == 21 else np.float32(1)
            assert sess.run(p * 2, {p: fed}).shape == np.shape(fed)


def test_saver_writes_v1_checkpoints_plain_and_sharded_and_keeps_max_to_keep(tmp_path):
    v1 = tf.train.SaverDef.V1
    config = tf.ConfigProto(device_count={"CPU": 2})
    with tf.Graph().as_default(), tf.Session(config=config) as sess:
        with tf.device("/cpu:0"):
            a = tf.Variable([1.0, 2.0], name="a")
        with tf.device("/cpu:1"):
            s = tf.Variable([b"x", b"yz"], name="s")
        sess.run(tf.global_variables_initializer())
        saver = tf.train.Saver(write_version=v1, max_to_keep=1)
        assert saver.saver_def.version == v1
        first = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=1)
        assert first == str(tmp_path / "model.ckpt-1") and checkpoint_v1.is_v1(first)
        sess.run(a.assign([5.0, 6.0]))
        second = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=2)
        assert not (tmp_path / "model.ckpt-1").exists()  # max_to_keep=1 removed it
        assert not (tmp_path / "model.ckpt-1.meta").exists()
        assert tf.train.latest_checkpoint(str(tmp_path)) == second
        sess.run(a.assign([0.0, 0.0]))
        saver.restore(sess, second)
        np.testing.assert_array_equal(sess.run(a), [5.0, 6.0])
        sharded = tf.train.Saver(write_version=v1, sharded=True)
        pattern = sharded.save(sess, str(tmp_path / "sharded"), write_meta_graph=False)
        assert pattern == str(tmp_path / "sharded-?????-of-00002")
        assert sorted(p.name for p in tmp_path.glob("sharded-*")) == [
            "sharded-00000-of-00002", "sharded-00001-of-00002"]  # fmt: skip
        sess.run([a.assign([9.0, 9.0]), s.assign([b"", b""])])
        sharded.restore(sess, pattern)
        np.testing.assert_array_equal(sess.run(a), [5.0, 6.0])
        np.testing.assert_array_equal(sess.run(s), [b"x", b"yz"])
    assert dict(tf.train.list_variables(pattern)) == {"a": [2], "s": [2]}
