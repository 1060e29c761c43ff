"""Readers: records and keys as TF's readers give them, counters, state, end of input.

Expected keys and records follow TF 1.x/2.x readers (checked against TF by hand): text
lines `file:line` counting skipped headers, TFRecords `file:byte_offset`, fixed-length
records `file:index`.
"""

import gzip
import os

import pytest

import flowgraph as tf

OP_TYPES_TESTED = {
    "TextLineReaderV2",
    "TFRecordReaderV2",
    "FixedLengthRecordReaderV2",
    "WholeFileReaderV2",
    "IdentityReaderV2",
    "ReaderReadV2",
    "ReaderReadUpToV2",
    "ReaderNumRecordsProducedV2",
    "ReaderNumWorkUnitsCompletedV2",
    "ReaderSerializeStateV2",
    "ReaderRestoreStateV2",
    "ReaderResetV2",
}
NOT_DIFFERENTIABLE = {op: "a reader op: strings from files" for op in OP_TYPES_TESTED}


@pytest.fixture(autouse=True)
def graph():
    """Each test builds its own graph (queue runners collect in the graph)."""
    with tf.Graph().as_default() as g:
        yield g


def _write(tmp_path, name, data: bytes) -> str:
    path = os.path.join(tmp_path, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _reading(reader, files):
    """Ops filling a queue with `files` and closing it, and the queue."""
    queue = tf.FIFOQueue(10, tf.string, shapes=[[]])
    return [queue.enqueue_many([files]), queue.close()], queue


def test_text_line_reader_keys_lines_and_end(tmp_path):
    a = _write(tmp_path, "a.txt", b"header\nl1\r\nl2\n\nl4")
    b = _write(tmp_path, "b.txt", b"only a header\n")
    reader = tf.TextLineReader(skip_header_lines=1)
    fill, queue = _reading(reader, [a, b])
    key, value = reader.read(queue)
    with tf.Session() as sess:
        sess.run(fill)
        got = [sess.run([key, value]) for _ in range(4)]
        assert got == [
            [f"{a}:2".encode(), b"l1"],
            [f"{a}:3".encode(), b"l2"],
            [f"{a}:4".encode(), b""],
            [f"{a}:5".encode(), b"l4"],
        ]
        with pytest.raises(tf.errors.OutOfRangeError, match="is closed and has insufficient"):
            sess.run(key)
        counters = [reader.num_records_produced(), reader.num_work_units_completed()]
        assert sess.run(counters) == [4, 2]


def test_read_up_to_stops_at_the_end_of_a_file(tmp_path):
    a = _write(tmp_path, "a.txt", b"l1\nl2\nl3\nl4\n")
    b = _write(tmp_path, "b.txt", b"m1\n")
    reader = tf.TextLineReader()
    fill, queue = _reading(reader, [a, b])
    keys, values = reader.read_up_to(queue, 3)
    with tf.Session() as sess:
        sess.run(fill)
        assert sess.run(values).tolist() == [b"l1", b"l2", b"l3"]
        assert sess.run(values).tolist() == [b"l4"]  # the rest of a.txt only
        k, v = sess.run([keys, values])
        assert k.tolist() == [f"{b}:1".encode()] and v.tolist() == [b"m1"]
        assert sess.run(reader.num_work_units_completed()) == 2
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(values)


def _tfrecord_files(tmp_path):
    plain = os.path.join(tmp_path, "r.tfrecord")
    with tf.python_io.TFRecordWriter(plain) as w:
        w.write(b"abc")
        w.write(b"defgh")
    zipped = os.path.join(tmp_path, "r.tfrecord.gz")
    options = tf.python_io.TFRecordOptions(tf.python_io.TFRecordCompressionType.GZIP)
    with tf.python_io.TFRecordWriter(zipped, options) as w:
        w.write(b"xyz")
    return plain, zipped


def test_tfrecord_reader_keys_are_offsets(tmp_path):
    plain, zipped = _tfrecord_files(tmp_path)
    reader = tf.TFRecordReader()
    fill, queue = _reading(reader, [plain])
    key, value = reader.read(queue)
    with tf.Session() as sess:
        sess.run(fill)
        assert sess.run([key, value]) == [f"{plain}:0".encode(), b"abc"]
        assert sess.run([key, value]) == [f"{plain}:19".encode(), b"defgh"]  # 12 + 3 + 4
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(value)
    gz = tf.python_io.TFRecordOptions(tf.python_io.TFRecordCompressionType.GZIP)
    reader = tf.TFRecordReader(options=gz)
    fill, queue = _reading(reader, [zipped])
    key, value = reader.read(queue)
    with tf.Session() as sess:
        sess.run(fill)
        assert sess.run(value) == b"xyz"


def test_tfrecord_reader_reports_corruption(tmp_path):
    plain, _ = _tfrecord_files(tmp_path)
    data = bytearray(open(plain, "rb").read())
    data[14] ^= 0xFF  # a byte of the first record's data
    bad = _write(tmp_path, "bad.tfrecord", bytes(data))
    reader = tf.TFRecordReader()
    fill, queue = _reading(reader, [bad])
    key, value = reader.read(queue)
    with tf.Session() as sess:
        sess.run(fill)
        with pytest.raises(tf.errors.DataLossError):
            sess.run(value)


def test_fixed_length_reader_header_footer_hop(tmp_path):
    path = _write(tmp_path, "c.bin", b"HH0123456789FFF")
    reader = tf.FixedLengthRecordReader(4, header_bytes=2, footer_bytes=3, hop_bytes=3)
    fill, queue = _reading(reader, [path])
    key, value = reader.read(queue)
    with tf.Session() as sess:
        sess.run(fill)
        got = [sess.run([key, value]) for _ in range(3)]
        assert got == [
            [f"{path}:0".encode(), b"0123"],
            [f"{path}:1".encode(), b"3456"],
            [f"{path}:2".encode(), b"6789"],
        ]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(value)


def test_fixed_length_reader_gzip(tmp_path):
    path = _write(tmp_path, "d.gz", gzip.compress(b"aabbcc"))
    reader = tf.FixedLengthRecordReader(2, encoding="GZIP")
    fill, queue = _reading(reader, [path])
    key, value = reader.read(queue)
    with tf.Session() as sess:
        sess.run(fill)
        assert [sess.run(value) for _ in range(3)] == [b"aa", b"bb", b"cc"]


def test_whole_file_reader_and_missing_file(tmp_path):
    path = _write(tmp_path, "w.bin", b"\x00\x01all of it")
    missing = os.path.join(tmp_path, "missing.txt")
    reader = tf.WholeFileReader()
    fill, queue = _reading(reader, [path, missing])
    key, value = reader.read(queue)
    with tf.Session() as sess:
        sess.run(fill)
        assert sess.run([key, value]) == [path.encode(), b"\x00\x01all of it"]
        with pytest.raises(tf.errors.NotFoundError, match="missing.txt"):
            sess.run(value)


def test_identity_reader_state_round_trip():
    reader = tf.IdentityReader()
    fill, queue = _reading(reader, [b"w1", b"w2", b"w3"])
    key, value = reader.read(queue)
    state = reader.serialize_state()
    saved = tf.placeholder(tf.string, [])
    restore = reader.restore_state(saved)
    counters = [reader.num_records_produced(), reader.num_work_units_completed()]
    with tf.Session() as sess:
        sess.run(fill)
        assert sess.run([key, value]) == [b"w1", b"w1"]
        snapshot = sess.run(state)
        assert snapshot == b'\x08\x01\x10\x01\x18\x01"\x02w1'  # TF's ReaderBaseState bytes
        sess.run(key)
        assert sess.run(counters) == [2, 2]
        sess.run(restore, {saved: snapshot})
        assert sess.run(counters) == [1, 1]
        assert sess.run(key) == b"w3"  # the queue is not rewound, only the reader
        sess.run(reader.reset())
        assert sess.run(counters) == [0, 0]
        with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse state"):
            sess.run(restore, {saved: b"\x08"})


def test_serialize_state_is_unimplemented_for_text_lines():
    reader = tf.TextLineReader()
    assert not reader.supports_serialize and tf.IdentityReader().supports_serialize
    with tf.Session() as sess:
        with pytest.raises(tf.errors.UnimplementedError, match="Reader SerializeState"):
            sess.run(reader.serialize_state())
