"""The TFRecord format: bytes derived from the spec, compression, corruption."""

import gzip
import io
import struct
import zlib

import pytest

from kernels import errors, tfrecord
from kernels.tfrecord import RecordWriter, encode_record, iter_records, masked_crc32c


def _reference_crc32c(data: bytes) -> int:
    # CRC-32C (Castagnoli), bit by bit: reflected polynomial 0x82F63B78, init and xorout ~0.
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _reference_masked(data: bytes) -> int:
    crc = _reference_crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) % 2**32


def _reference_record(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return (
        length
        + struct.pack("<I", _reference_masked(length))
        + data
        + struct.pack("<I", _reference_masked(data))
    )


def test_reference_crc32c_check_value():
    # The standard check value of CRC-32C (RFC 3720 B.4): crc("123456789") = 0xE3069283.
    assert _reference_crc32c(b"123456789") == 0xE3069283


@pytest.mark.parametrize("data", [b"", b"a", b"hello", bytes(range(256)) * 3])
def test_masked_crc_matches_reference(data):
    assert masked_crc32c(data) == _reference_masked(data)


def test_record_bytes_of_hello():
    # The bytes TensorFlow writes for b"hello": length 5, its masked CRC, data, data's CRC.
    expected = bytes.fromhex("0500000000000000eab2043e68656c6c6fbb1f1c19")
    assert _reference_record(b"hello") == expected
    assert encode_record(b"hello") == expected


def test_writer_writes_records_back_to_back(tmp_path):
    path = str(tmp_path / "a.tfrecord")
    payloads = [b"hello", b"", b"world!" * 100]
    writer = RecordWriter(path)
    for p in payloads:
        writer.write(p)
    writer.close()
    with open(path, "rb") as f:
        assert f.read() == b"".join(_reference_record(p) for p in payloads)
    assert list(iter_records(path)) == payloads


@pytest.mark.parametrize(
    "kind, decompress",
    [("GZIP", gzip.decompress), ("ZLIB", zlib.decompress)],
)
def test_compressed_files_are_one_stream(tmp_path, kind, decompress):
    path = str(tmp_path / "c.tfrecord")
    payloads = [b"x" * 1000, b"yz", bytes(range(256)) * 400]
    writer = RecordWriter(path, kind)
    for p in payloads:
        writer.write(p)
    writer.flush()
    writer.close()
    with open(path, "rb") as f:
        assert decompress(f.read()) == b"".join(_reference_record(p) for p in payloads)
    assert list(iter_records(path, kind)) == payloads


def test_reads_streams_written_by_the_standard_library(tmp_path):
    path = str(tmp_path / "g.tfrecord")
    with gzip.open(path, "wb") as f:
        f.write(_reference_record(b"abc") + _reference_record(b"def"))
    assert list(iter_records(path, "GZIP")) == [b"abc", b"def"]


def test_flushed_records_are_readable_before_close(tmp_path):
    path = str(tmp_path / "f.tfrecord")
    writer = RecordWriter(path, "ZLIB")
    writer.write(b"first")
    writer.flush()
    assert list(iter_records(path, "ZLIB")) == [b"first"]
    writer.close()


def _write(tmp_path, data: bytes) -> str:
    path = str(tmp_path / "bad.tfrecord")
    with open(path, "wb") as f:
        f.write(data)
    return path


@pytest.mark.parametrize(
    "flip, offset",
    [(2, "at 0 \\(Is this even"), (9, "at 0 \\(Is"), (14, "at 12"), (19, "at 12"), (24, "at 21")],
)
def test_flipped_byte_is_data_loss(tmp_path, flip, offset):
    data = bytearray(_reference_record(b"hello") + _reference_record(b"world!"))
    data[flip] ^= 0x01
    path = _write(tmp_path, bytes(data))
    with pytest.raises(errors.DataLossError, match=f"bad.tfrecord: corrupted record {offset}"):
        list(iter_records(path))


@pytest.mark.parametrize("cut", [3, 5, 12, 20])
def test_truncated_file_is_data_loss(tmp_path, cut):
    good = _reference_record(b"hello")
    path = _write(tmp_path, good + _reference_record(b"world!")[:cut])
    records = iter_records(path)
    assert next(records) == b"hello"
    with pytest.raises(errors.DataLossError, match=f"truncated record at {len(good)}"):
        next(records)


def test_corrupt_compressed_stream_is_data_loss(tmp_path):
    data = bytearray(zlib.compress(_reference_record(b"hello" * 50)))
    data[10] ^= 0xFF
    path = _write(tmp_path, bytes(data))
    with pytest.raises(errors.DataLossError):
        list(iter_records(path, "ZLIB"))


def test_missing_file_and_bad_compression(tmp_path):
    with pytest.raises(errors.NotFoundError, match="nope"):
        list(iter_records(str(tmp_path / "nope")))
    with pytest.raises(errors.InvalidArgumentError, match="BZIP2"):
        RecordWriter(str(tmp_path / "x"), "BZIP2")


def _stream_reading(data: bytes) -> tuple[list[bytes], str | None]:
    """Records and error of the record-at-a-time reader (what compressed files use)."""
    stream, records, offset = io.BytesIO(data), [], 0
    try:
        while (record := tfrecord._read_record(stream, "f", offset)) is not None:
            records.append(record)
            offset += 16 + len(record)
    except errors.DataLossError as e:
        return records, e.message
    return records, None


def _bulk_reading(data: bytes) -> tuple[list[bytes], str | None]:
    records, error = tfrecord.split_records(data, "f")
    return records, None if error is None else error.message


@pytest.mark.parametrize("sizes", [[5, 5, 5, 5], [5, 0, 300, 7], [0, 0]])
def test_bulk_reading_matches_the_stream_for_every_damaged_byte(sizes):
    payloads = [bytes([65 + i]) * n for i, n in enumerate(sizes)]
    data = b"".join(_reference_record(p) for p in payloads)
    assert _bulk_reading(data) == _stream_reading(data) == (payloads, None)
    for i in range(len(data)):
        for flip in (0x01, 0x80):
            damaged = bytearray(data)
            damaged[i] ^= flip
            assert _bulk_reading(bytes(damaged)) == _stream_reading(bytes(damaged)), (i, flip)
    for cut in range(len(data)):
        assert _bulk_reading(data[:cut]) == _stream_reading(data[:cut]), cut


def test_bulk_reading_of_equal_lengths_keeps_zero_bytes():
    # Records of one length are cut as rows of a byte matrix: a record's trailing (or
    # leading, or only) zero bytes stay, as a zero-length record does.
    payloads = [b"\x00\x00\x00", b"ab\x00", b"\x00cd", b"e\x00f"]
    data = b"".join(_reference_record(p) for p in payloads)
    records, error = tfrecord.split_records(data, "f")
    assert (records, error) == (payloads, None)
    assert all(type(r) is bytes for r in records)
    assert _bulk_reading(data[: 3 * 19]) == (payloads[:3], None)
