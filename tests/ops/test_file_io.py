"""File ops (read_file, write_file, matching_files), tf.gfile and the TFRecord Python API."""

import gzip
import os

import numpy as np
import pytest

import flowgraph as tf

OP_TYPES_TESTED = {"ReadFile", "WriteFile", "MatchingFiles"}
NOT_DIFFERENTIABLE = {
    "ReadFile": "reads bytes",
    "WriteFile": "writes bytes",
    "MatchingFiles": "lists names",
}


def _run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


def test_write_then_read_file(tmp_path):
    path = str(tmp_path / "new" / "dir" / "x.bin")
    with tf.Graph().as_default():
        write = tf.write_file(path, b"\x00hello")
        assert write.type == "WriteFile"
        _run(write)
        read = tf.io.read_file(path)
        assert read.op.type == "ReadFile" and read.shape.as_list() == []
        assert _run(read) == b"\x00hello"


def test_read_file_errors(tmp_path):
    with tf.Graph().as_default():
        name = tf.placeholder(tf.string, [])
        contents = tf.read_file(name)
        with pytest.raises(tf.errors.NotFoundError, match="nope; No such file"):
            _run(contents, {name: str(tmp_path / "nope")})
        with pytest.raises(tf.errors.FailedPreconditionError, match="Is a directory"):
            _run(contents, {name: str(tmp_path)})


def test_matching_files(tmp_path):
    for name in ("b.txt", "a.txt", ".hidden.txt", "c.csv"):
        (tmp_path / name).write_bytes(b"")
    with tf.Graph().as_default():
        one = tf.matching_files(str(tmp_path / "*.txt"))
        many = tf.io.matching_files([str(tmp_path / "?.csv"), str(tmp_path / "[ab].txt")])
        none = tf.matching_files(str(tmp_path / "*.zip"))
        one, many, none = _run([one, many, none])
    names = [os.path.basename(p) for p in one]
    assert names == [b".hidden.txt", b"a.txt", b"b.txt"]
    assert [os.path.basename(p) for p in many] == [b"c.csv", b"a.txt", b"b.txt"]
    assert none.shape == (0,)


# -- gfile --------------------------------------------------------------------------------------


def test_gfile_reads_and_writes(tmp_path):
    path = str(tmp_path / "f.txt")
    with tf.gfile.GFile(path, "w") as f:
        f.write("line 1\nline 2\n")
    assert tf.gfile.Exists(path) and not tf.gfile.IsDirectory(path)
    with tf.gfile.Open(path) as f:
        assert f.readline() == "line 1\n"
        assert f.read() == "line 2\n"
    with tf.io.gfile.GFile(path, "rb") as f:
        assert list(f) == [b"line 1\n", b"line 2\n"]
    assert tf.gfile.FastGFile(path, "rb").size() == 14
    assert tf.gfile.Stat(path).length == 14


def test_gfile_directories(tmp_path):
    root = str(tmp_path / "r")
    tf.gfile.MakeDirs(os.path.join(root, "a", "b"))
    tf.gfile.MakeDirs(os.path.join(root, "a", "b"))  # existing: no error
    tf.io.gfile.mkdir(os.path.join(root, "c"))
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.gfile.MkDir(os.path.join(root, "c"))
    with tf.gfile.GFile(os.path.join(root, "x.txt"), "wb") as f:
        f.write(b"x")
    assert sorted(tf.gfile.ListDirectory(root)) == ["a", "c", "x.txt"]
    assert tf.io.gfile.glob(os.path.join(root, "*.txt")) == [os.path.join(root, "x.txt")]
    tf.gfile.Copy(os.path.join(root, "x.txt"), os.path.join(root, "y.txt"))
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.gfile.Copy(os.path.join(root, "x.txt"), os.path.join(root, "y.txt"))
    tf.gfile.Rename(os.path.join(root, "y.txt"), os.path.join(root, "x.txt"), overwrite=True)
    tf.gfile.Remove(os.path.join(root, "x.txt"))
    tf.gfile.DeleteRecursively(os.path.join(root, "a"))
    assert tf.io.gfile.listdir(root) == ["c"]


def test_gfile_missing_files_raise_not_found(tmp_path):
    missing = str(tmp_path / "missing")
    assert not tf.gfile.Exists(missing)
    for call in (
        lambda: tf.gfile.GFile(missing).read(),
        lambda: tf.gfile.Remove(missing),
        lambda: tf.gfile.ListDirectory(missing),
        lambda: tf.gfile.DeleteRecursively(missing),
        lambda: tf.gfile.Stat(missing),
        lambda: tf.gfile.Rename(missing, missing + "2"),
    ):
        with pytest.raises(tf.errors.NotFoundError):
            call()


# -- TFRecord Python API ------------------------------------------------------------------------


def test_tfrecord_writer_and_iterator(tmp_path):
    path = str(tmp_path / "data.tfrecord")
    example = tf.train.Example()
    example.features.feature["v"].float_list.value.extend([1.0, 2.0])
    with tf.python_io.TFRecordWriter(path) as writer:
        writer.write(example.SerializeToString())
        writer.write("text")
        writer.flush()
    records = list(tf.python_io.tf_record_iterator(path))
    assert tf.train.Example.FromString(records[0]) == example
    assert records[1] == b"text"


@pytest.mark.parametrize(
    "options",
    [
        tf.python_io.TFRecordOptions(tf.python_io.TFRecordCompressionType.GZIP),
        tf.io.TFRecordOptions("GZIP", compression_level=9),
        "GZIP",
    ],
)
def test_tfrecord_gzip_options(tmp_path, options):
    path = str(tmp_path / "data.tfrecord.gz")
    with tf.io.TFRecordWriter(path, options) as writer:
        writer.write(b"abc")
    with open(path, "rb") as f:
        assert gzip.decompress(f.read())[12:15] == b"abc"
    assert list(tf.io.tf_record_iterator(path, options)) == [b"abc"]


def test_tfrecord_options_compression_strings():
    get = tf.python_io.TFRecordOptions.get_compression_type_string
    assert get(None) == "" and get(tf.python_io.TFRecordCompressionType.ZLIB) == "ZLIB"
    assert get(tf.io.TFRecordOptions("GZIP")) == "GZIP"
    with pytest.raises(ValueError, match="BZIP"):
        get("BZIP")


def test_corrupted_tfrecord_raises_data_loss(tmp_path):
    path = str(tmp_path / "bad.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        writer.write(b"payload")
    data = bytearray(open(path, "rb").read())
    data[13] ^= 0xFF
    open(path, "wb").write(bytes(data))
    with pytest.raises(tf.errors.DataLossError, match="bad.tfrecord: corrupted record at 12"):
        list(tf.python_io.tf_record_iterator(path))


def test_tfrecord_of_examples_parses_in_graph(tmp_path):
    path = str(tmp_path / "ex.tfrecord")
    with tf.python_io.TFRecordWriter(path) as writer:
        for i in range(3):
            example = tf.train.Example()
            example.features.feature["i"].int64_list.value.append(i)
            writer.write(example.SerializeToString())
    records = list(tf.python_io.tf_record_iterator(path))
    with tf.Graph().as_default():
        parsed = tf.parse_example(records, {"i": tf.FixedLenFeature([], tf.int64)})
        np.testing.assert_array_equal(_run(parsed["i"]), [0, 1, 2])
