"""tf.data file datasets: TFRecord (compressed, parallel reads, corrupt files), text
lines, fixed-length records and list_files."""

import gzip
import os
import zlib

import pytest

import flowgraph as tf
from kernels.tfrecord import encode_record

OP_TYPES_TESTED = [
    "TFRecordDataset",
    "TextLineDataset",
    "FixedLengthRecordDataset",
    "FixedLengthRecordDatasetV2",
    "IgnoreErrorsDataset",
]
NOT_DIFFERENTIABLE = {t: "a dataset op: variant output" for t in OP_TYPES_TESTED}


def _all(dataset):
    nxt = dataset.make_one_shot_iterator().get_next()
    out = []
    with tf.Session() as sess:
        while True:
            try:
                out.append(sess.run(nxt))
            except tf.errors.OutOfRangeError:
                return out


def _records(path, records, compression=""):
    options = tf.python_io.TFRecordOptions(compression) if compression else None
    with tf.python_io.TFRecordWriter(path, options) as writer:
        for r in records:
            writer.write(r)
    return path


@pytest.mark.parametrize("compression", ["", "GZIP", "ZLIB"])
def test_tfrecord_dataset_reads_files_in_order(tmp_path, compression):
    a = _records(str(tmp_path / "a"), [b"a0", b"a1"], compression)
    b = _records(str(tmp_path / "b"), [b"b0"], compression)
    with tf.Graph().as_default():
        assert _all(tf.data.TFRecordDataset([a, b], compression_type=compression)) == [
            b"a0",
            b"a1",
            b"b0",
        ]


def test_tfrecord_dataset_parallel_reads_interleave_files(tmp_path):
    a = _records(str(tmp_path / "a"), [b"a0", b"a1", b"a2"])
    b = _records(str(tmp_path / "b"), [b"b0", b"b1"])
    with tf.Graph().as_default():
        got = _all(tf.data.TFRecordDataset([a, b], num_parallel_reads=2))
    assert got == [b"a0", b"b0", b"a1", b"b1", b"a2"]


def test_corrupt_tfrecord_is_data_loss_naming_file_and_offset(tmp_path):
    good = encode_record(b"fine")
    bad = bytearray(encode_record(b"broken"))
    bad[-1] ^= 0xFF  # the data's checksum
    path = tmp_path / "corrupt.tfrecord"
    path.write_bytes(good + bytes(bad) + encode_record(b"after"))
    other = _records(str(tmp_path / "other"), [b"other"])
    with tf.Graph().as_default():
        ds = tf.data.TFRecordDataset([str(path), other])
        with pytest.raises(tf.errors.DataLossError, match=f"{path}: corrupted record at 32"):
            _all(ds)
        # ignore_errors drops the rest of the corrupt file and goes on with the next
        assert _all(ds.apply(tf.data.experimental.ignore_errors())) == [b"fine", b"other"]


def test_missing_file_is_not_found(tmp_path):
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.NotFoundError, match="No such file"):
            _all(tf.data.TFRecordDataset(str(tmp_path / "nope")))


@pytest.mark.parametrize("compression", ["", "GZIP", "ZLIB"])
def test_text_line_dataset(tmp_path, compression):
    data = b"first\nsecond\r\nthird"
    path = tmp_path / "lines.txt"
    codec = {"": lambda d: d, "GZIP": gzip.compress, "ZLIB": zlib.compress}[compression]
    path.write_bytes(codec(data))
    with tf.Graph().as_default():
        got = _all(tf.data.TextLineDataset(str(path), compression_type=compression or None))
    assert got == [b"first", b"second", b"third"]


def test_fixed_length_record_dataset(tmp_path):
    path = tmp_path / "fixed.bin"
    path.write_bytes(b"HH" + b"abcdefghi" + b"F")
    with tf.Graph().as_default():
        ds = tf.data.FixedLengthRecordDataset(str(path), 3, header_bytes=2, footer_bytes=1)
        assert _all(ds) == [b"abc", b"def", b"ghi"]
        gz = tmp_path / "fixed.gz"
        gz.write_bytes(gzip.compress(b"abcdef"))
        ds = tf.data.FixedLengthRecordDataset(str(gz), 2, compression_type="GZIP")
        assert _all(ds) == [b"ab", b"cd", b"ef"]


def test_list_files(tmp_path):
    for name in ("b.txt", "a.txt", "c.dat"):
        (tmp_path / name).write_text("x")
    pattern = os.path.join(str(tmp_path), "*.txt")
    with tf.Graph().as_default():
        ordered = _all(tf.data.Dataset.list_files(pattern, shuffle=False))
        shuffled = _all(tf.data.Dataset.list_files(pattern, seed=3))
    want = sorted(os.path.join(str(tmp_path), n).encode() for n in ("a.txt", "b.txt"))
    assert ordered == want and sorted(shuffled) == want
