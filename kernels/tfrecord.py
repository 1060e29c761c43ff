"""The TFRecord file format: length-prefixed records with masked CRC32C checksums.

Each record is `uint64 length | uint32 masked_crc32c(length) | data | uint32
masked_crc32c(data)`, little endian; a GZIP or ZLIB file is one compressed stream of such
records (tensorflow/core/lib/io/record_writer.cc, record_reader.cc).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import google_crc32c
import numpy as np

from kernels.errors import DataLossError, InvalidArgumentError, NotFoundError

_MASK_DELTA = 0xA282EAD8
_HEADER = struct.Struct("<QI")
_LENGTH = struct.Struct("<Q")
_FOOTER = struct.Struct("<I")
_READ_CHUNK = 1 << 16
_CHUNK = 4096  # records per list read from a stream
_WHOLE_FILE = 1 << 28  # uncompressed files up to this size are read in one call
_CRC_RUN = 256  # records checksummed in one C call (~30 us holding the GIL)

# The zlib `wbits` of each compression type TF knows: 31 writes a gzip header, 15 a zlib one.
_WBITS = {"GZIP": 31, "ZLIB": 15}


def masked_crc32c(data: bytes) -> int:
    """TF's masked CRC32C of `data` (a checksum that stays valid when stored beside data)."""
    return _mask(google_crc32c.value(data))


def encode_record(data: bytes) -> bytes:
    """The bytes of one TFRecord holding `data`."""
    length = _LENGTH.pack(len(data))
    return length + _FOOTER.pack(masked_crc32c(length)) + data + _FOOTER.pack(masked_crc32c(data))


def _check_compression(compression_type: str | None) -> str:
    kind = compression_type or ""
    if kind and kind not in _WBITS:
        raise InvalidArgumentError(
            None, None, f"Unsupported compression type {kind!r}; expected '', 'GZIP' or 'ZLIB'"
        )
    return kind


def _open(path: str, mode: str) -> BinaryIO:
    try:
        return open(path, mode)
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise InvalidArgumentError(None, None, f"{path} is a directory") from None


class _Inflater:
    """A file-like `read(n)` over a GZIP or ZLIB compressed file."""

    def __init__(self, raw: BinaryIO, wbits: int, path: str):
        self._raw, self._path = raw, path
        self._inflate = zlib.decompressobj(wbits)
        self._buffer = b""

    def read(self, n: int) -> bytes:
        while len(self._buffer) < n and not self._inflate.eof:
            chunk = self._raw.read(_READ_CHUNK)
            if not chunk:
                break
            try:
                self._buffer += self._inflate.decompress(chunk)
            except zlib.error as e:
                raise DataLossError(None, None, f"{self._path}: {e}") from None
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def close(self) -> None:
        self._raw.close()


def iter_records(path: str, compression_type: str = "") -> Iterator[bytes]:
    """Yields the data of each record of the TFRecord file at `path`, in order.

    Raises:
      NotFoundError: `path` does not exist.
      DataLossError: a record is truncated or fails its checksum (names file and offset).
    """
    for chunk in iter_record_chunks(path, compression_type):
        yield from chunk


def iter_record_chunks(path: str, compression_type: str = "") -> Iterator[list[bytes]]:
    """`iter_records` in lists: a whole uncompressed file's records in one, checked in bulk;
    an error is raised after the list of the records before it."""
    kind = _check_compression(compression_type)
    raw = _open(path, "rb")
    if not kind and os.fstat(raw.fileno()).st_size <= _WHOLE_FILE:
        with raw:
            data = raw.read()
        records, error = split_records(data, path)
        if records:
            yield records
        if error is not None:
            raise error
        return
    stream = _Inflater(raw, _WBITS[kind], path) if kind else raw
    try:
        yield from _stream_chunks(stream, path)
    finally:
        stream.close()


def _stream_chunks(stream, path: str) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    offset = 0
    while True:
        try:
            data = _read_record(stream, path, offset)
        except DataLossError:
            if chunk:
                yield chunk
            raise
        if data is None:
            break
        chunk.append(data)
        offset += _HEADER.size + len(data) + _FOOTER.size
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def split_records(data: bytes, path: str) -> tuple[list[bytes], DataLossError | None]:
    """The records of a whole file's bytes, checked in bulk: the records before the first
    bad one, and its error (None when every record is sound). One pass in Python finds the
    frames; their checksums are computed by one C call per record and compared in numpy."""
    uniform = _split_uniform(data, path)
    if uniform is not None:
        return uniform
    offsets, lengths, stop = _frames(data, path)
    if not offsets:
        return [], stop
    starts = [o + _HEADER.size for o in offsets]
    records = [data[a : a + n] for a, n in zip(starts, lengths)]
    offs, lens = np.array(offsets, np.int64), np.array(lengths, np.int64)
    raw = np.frombuffer(data, np.uint8)
    sizes, which = np.unique(lens, return_inverse=True)
    expected = np.array([masked_crc32c(_LENGTH.pack(int(n))) for n in sizes], np.uint32)
    bad_header = _words(raw, offs + 8) != expected[which]
    crcs = np.fromiter(map(google_crc32c.value, records), np.uint32, len(records))
    bad_data = _masked(crcs) != _words(raw, offs + _HEADER.size + lens)
    bad = np.flatnonzero(bad_header | bad_data)
    if bad.size == 0:
        return records, stop
    i = int(bad[0])
    if bad_header[i]:
        return records[:i], _corrupted(path, offsets[i])
    return records[:i], DataLossError(None, None, f"{path}: corrupted record at {starts[i]}")


def _split_uniform(data: bytes, path: str) -> tuple[list[bytes], DataLossError | None] | None:
    """`split_records` of a file whose records all have the first one's (nonzero) length,
    without a step in Python per record: the frames are the rows of one byte matrix, the
    records its data columns made bytes objects by numpy (a void dtype keeps trailing zero
    bytes), the length checksums one comparison; only each record's data checksum is a C
    call of its own. None for any other file."""
    frames = _uniform_matrix(data)
    if frames is None:
        return None
    count, stride = frames.shape
    length = stride - _HEADER.size - _FOOTER.size
    records = np.ascontiguousarray(frames[:, _HEADER.size : _HEADER.size + length])
    records = records.view(f"V{length}").reshape(count).tolist()
    expected = masked_crc32c(_LENGTH.pack(length))
    bad_header = _column_words(frames, 8) != expected
    crcs = np.empty(count, np.uint32)
    for start in range(0, count, _CRC_RUN):  # the GIL free for other threads between runs
        run = records[start : start + _CRC_RUN]
        crcs[start : start + len(run)] = np.fromiter(map(google_crc32c.value, run), np.uint32)
    bad_data = _masked(crcs) != _column_words(frames, _HEADER.size + length)
    bad = np.flatnonzero(bad_header | bad_data)
    if bad.size == 0:
        return records, None
    i = int(bad[0])
    if bad_header[i]:
        return records[:i], _corrupted(path, i * stride)
    return records[:i], DataLossError(
        None, None, f"{path}: corrupted record at {i * stride + _HEADER.size}"
    )


def _uniform_matrix(data: bytes) -> np.ndarray | None:
    """`data` as a (records, frame bytes) uint8 matrix where every record's length field
    holds the first one's, a nonzero length, and the frames fill the file exactly."""
    if len(data) < _HEADER.size:
        return None
    (length,) = _LENGTH.unpack_from(data)
    stride = _HEADER.size + length + _FOOTER.size
    if not length or len(data) % stride:
        return None
    count = len(data) // stride
    if not (np.ndarray((count,), "<u8", data, 0, (stride,)) == length).all():
        return None
    return np.ndarray((count, stride), np.uint8, data)


def _column_words(frames: np.ndarray, at: int) -> np.ndarray:
    """The little-endian uint32 at byte `at` of each row of `frames`."""
    return np.ascontiguousarray(frames[:, at : at + 4]).view("<u4").reshape(-1)


def _frames(data: bytes, path: str) -> tuple[list[int], list[int], DataLossError | None]:
    """Each record's offset and data length, walking the length fields, and the error that
    ends the walk early (a truncated record or, where a length overruns the file, a
    corrupt one)."""
    uniform = _uniform_frames(data)
    if uniform is not None:
        return (*uniform, None)
    offsets: list[int] = []
    lengths: list[int] = []
    end, offset, unpack = len(data), 0, _LENGTH.unpack_from
    while offset < end:
        if end - offset < _HEADER.size:
            return offsets, lengths, _truncated(path, offset)
        (length,) = unpack(data, offset)
        if offset + _HEADER.size + length + _FOOTER.size > end:
            header_ok = (
                masked_crc32c(data[offset : offset + 8]) == _FOOTER.unpack_from(data, offset + 8)[0]
            )
            return offsets, lengths, (_truncated if header_ok else _corrupted)(path, offset)
        offsets.append(offset)
        lengths.append(length)
        offset += _HEADER.size + length + _FOOTER.size
    return offsets, lengths, None


def _uniform_frames(data: bytes) -> tuple[list[int], list[int]] | None:
    """The frames of a file whose records all have the first one's length, found in one
    numpy comparison of the length fields (None for any other file)."""
    if len(data) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack_from(data)
    stride = _HEADER.size + length + _FOOTER.size
    if len(data) % stride:
        return None
    count = len(data) // stride
    fields = np.ndarray((count,), "<u8", data, 0, (stride,))
    if not (fields == length).all():
        return None
    return list(range(0, len(data), stride)), [length] * count


def _words(raw: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The little-endian uint32 at each offset `at` of `raw`."""
    return raw[at[:, None] + np.arange(4)].view("<u4").reshape(-1)


def _masked(crcs: np.ndarray) -> np.ndarray:
    """`_mask` of each of `crcs` (uint32)."""
    wide = crcs.astype(np.uint64)
    return ((((wide >> 15) | (wide << 17)) + _MASK_DELTA) & 0xFFFFFFFF).astype(np.uint32)


def _corrupted(path: str, offset: int) -> DataLossError:
    hint = " (Is this even a TFRecord file?)" if offset == 0 else ""
    return DataLossError(None, None, f"{path}: corrupted record at {offset}{hint}")


def _mask(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def _read_record(stream, path: str, offset: int) -> bytes | None:
    """One record's data starting at `offset` (None at a clean end of file)."""
    header = stream.read(_HEADER.size)
    if not header:
        return None
    if len(header) < _HEADER.size:
        raise _truncated(path, offset)
    length, length_crc = _HEADER.unpack(header)
    if masked_crc32c(header[:8]) != length_crc:
        raise _corrupted(path, offset)
    body = stream.read(length + _FOOTER.size)
    if len(body) < length + _FOOTER.size:
        raise _truncated(path, offset)
    data = body[:length]
    if masked_crc32c(data) != _FOOTER.unpack(body[length:])[0]:
        # TF names the data's offset here, the record's for a bad length.
        raise DataLossError(None, None, f"{path}: corrupted record at {offset + _HEADER.size}")
    return data


def _truncated(path: str, offset: int) -> DataLossError:
    return DataLossError(None, None, f"{path}: truncated record at {offset}")


class RecordWriter:
    """Writes TFRecords to a new file at `path`, optionally GZIP or ZLIB compressed.

    Args:
      path: the file to create (an existing file is overwritten).
      compression_type: "", "GZIP" or "ZLIB".
      compression_level: zlib's level, 0-9 (-1: zlib's default, as TF's).
    """

    def __init__(self, path: str, compression_type: str = "", compression_level: int = -1):
        kind = _check_compression(compression_type)
        self._file = _open(path, "wb")
        self._deflate = (
            zlib.compressobj(compression_level, zlib.DEFLATED, _WBITS[kind]) if kind else None
        )

    def write(self, record: bytes) -> None:
        """Appends one record holding `record`."""
        self._put(encode_record(bytes(record)))

    def flush(self) -> None:
        """Pushes what was written so far to the file, readable as complete records."""
        if self._deflate is not None:
            self._file.write(self._deflate.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self) -> None:
        """Finishes the compressed stream, if any, and closes the file."""
        if self._file.closed:
            return
        if self._deflate is not None:
            self._file.write(self._deflate.flush(zlib.Z_FINISH))
        self._file.close()

    def _put(self, data: bytes) -> None:
        if self._file.closed:
            raise ValueError("Write to a closed TFRecord writer")
        self._file.write(self._deflate.compress(data) if self._deflate is not None else data)
