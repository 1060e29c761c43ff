"""TensorFlow's immutable sorted string table (`core/lib/io/table*`, leveldb's format).

A table is data blocks of sorted key/value entries, an (empty) metaindex block, an index
block mapping a separator key per data block to its position, and a 48-byte footer:

    block   := entries, restart offsets (fixed32 each), their count (fixed32)
    entry   := varint32 shared, varint32 non_shared, varint32 value_len, key delta, value
    trailer := compression type (1 byte, 0: none) + masked CRC32C of block and type byte
    footer  := metaindex handle, index handle (varint64 offset, size each), zero-padded to
               40 bytes, magic 0xdb4775248b80fb57 (fixed64)

TensorFlow writes its tables uncompressed with 256 KiB blocks and a restart point every 16
entries (every entry in the index block); `TableWriter` reproduces its output byte for byte.
TensorFlow 1.x compressed a block with snappy (type 1) when that made it smaller (every
`.index` of its checkpoints and V1 checkpoints' tables): the reader decompresses those.
"""

from __future__ import annotations

import struct

import google_crc32c

_MAGIC = 0xDB4775248B80FB57
_FOOTER_SIZE = 48
_BLOCK_SIZE = 262144
_RESTART_INTERVAL = 16
_MASK_DELTA = 0xA282EAD8


class CorruptionError(ValueError):
    """The table's bytes are not a well-formed table (the caller names the file)."""


def masked_crc32c(data: bytes, crc: int = 0) -> int:
    """TF's `crc32c::Mask(crc32c::Extend(crc, data))`: a CRC safe to store beside its data."""
    return mask(google_crc32c.extend(crc, data))


def mask(crc: int) -> int:
    """Rotates and offsets a CRC, so that a CRC of data holding CRCs stays informative."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked: int) -> int:
    """The CRC that `mask` turned into `masked`."""
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def put_varint(value: int) -> bytes:
    """`value` as a little-endian base-128 varint."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def get_varint(data, pos: int) -> tuple[int, int]:
    """The varint at `data[pos:]` and the position after it."""
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise CorruptionError("bad varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


class _BlockBuilder:
    def __init__(self, restart_interval: int):
        self._interval = restart_interval
        self._buf = bytearray()
        self._restarts = [0]
        self._counter = 0
        self._last_key = b""

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self._counter < self._interval:
            limit = min(len(key), len(self._last_key))
            while shared < limit and key[shared] == self._last_key[shared]:
                shared += 1
        else:
            self._restarts.append(len(self._buf))
            self._counter = 0
        self._buf += put_varint(shared) + put_varint(len(key) - shared) + put_varint(len(value))
        self._buf += key[shared:] + value
        self._last_key = key
        self._counter += 1

    def size_estimate(self) -> int:
        return len(self._buf) + 4 * len(self._restarts) + 4

    def empty(self) -> bool:
        return not self._buf

    def finish(self) -> bytes:
        restarts = struct.pack(f"<{len(self._restarts)}I", *self._restarts)
        return bytes(self._buf) + restarts + struct.pack("<I", len(self._restarts))


def _shortest_separator(start: bytes, limit: bytes) -> bytes:
    """A short key in [start, limit) (leveldb's BytewiseComparator::FindShortestSeparator)."""
    n = 0
    while n < min(len(start), len(limit)) and start[n] == limit[n]:
        n += 1
    if n < min(len(start), len(limit)):
        byte = start[n]
        if byte < 0xFF and byte + 1 < limit[n]:
            return start[:n] + bytes([byte + 1])
    return start


def _short_successor(key: bytes) -> bytes:
    """A short key >= `key` (leveldb's BytewiseComparator::FindShortSuccessor)."""
    for i, byte in enumerate(key):
        if byte != 0xFF:
            return key[:i] + bytes([byte + 1])
    return key


class TableWriter:
    """Writes sorted key/value pairs as a table to the binary file object `out`."""

    def __init__(self, out):
        self._out = out
        self._offset = 0
        self._data = _BlockBuilder(_RESTART_INTERVAL)
        self._index = _BlockBuilder(1)
        self._last_key = None
        self._pending_handle = None

    def add(self, key: bytes, value: bytes) -> None:
        """Appends an entry; keys must come in strictly increasing order."""
        if self._last_key is not None and key <= self._last_key:
            raise ValueError(f"table keys out of order: {key!r} after {self._last_key!r}")
        if self._pending_handle is not None:
            self._index.add(_shortest_separator(self._last_key, key), self._pending_handle)
            self._pending_handle = None
        self._data.add(key, value)
        self._last_key = key
        if self._data.size_estimate() >= _BLOCK_SIZE:
            self._flush()

    def _flush(self) -> None:
        if not self._data.empty():
            self._pending_handle = self._write_block(self._data.finish())
            self._data = _BlockBuilder(_RESTART_INTERVAL)

    def _write_block(self, contents: bytes) -> bytes:
        handle = put_varint(self._offset) + put_varint(len(contents))
        trailer = b"\x00" + struct.pack("<I", masked_crc32c(contents + b"\x00"))
        self._out.write(contents + trailer)
        self._offset += len(contents) + len(trailer)
        return handle

    def finish(self) -> None:
        """Writes the last data block, the metaindex and index blocks, and the footer."""
        self._flush()
        if self._pending_handle is not None:
            self._index.add(_short_successor(self._last_key), self._pending_handle)
        metaindex = self._write_block(_BlockBuilder(_RESTART_INTERVAL).finish())
        index = self._write_block(self._index.finish())
        handles = metaindex + index
        self._out.write(handles + b"\x00" * (40 - len(handles)) + struct.pack("<Q", _MAGIC))


def _read_block(data: bytes, handle: bytes, pos: int = 0) -> bytes:
    offset, pos = get_varint(handle, pos)
    size, _ = get_varint(handle, pos)
    end = offset + size
    if end + 5 > len(data):
        raise CorruptionError("block handle points past the end of the file (truncated?)")
    contents, ctype = data[offset:end], data[end]
    (stored,) = struct.unpack_from("<I", data, end + 1)
    if masked_crc32c(contents + bytes([ctype])) != stored:
        raise CorruptionError(f"block checksum mismatch at offset {offset}")
    if ctype == 1:
        return snappy_uncompress(contents)
    if ctype != 0:
        raise CorruptionError(f"unknown block compression type {ctype}")
    return contents


def snappy_uncompress(data: bytes) -> bytes:
    """The bytes a raw snappy stream (`snappy::RawUncompress`'s format) holds.

    The stream is the uncompressed length (varint32), then elements: a literal (tag & 3 ==
    0: its length - 1 in the tag's upper six bits, or, from 60 up, in the next 1-4 bytes)
    or a copy of earlier output (tag & 3 == 1: length 4-11 and an 11-bit offset; 2: length
    1-64 and a 16-bit offset; 3: a 32-bit offset), which may overlap what it produces.

    Raises:
      CorruptionError: the stream is malformed or its length disagrees with its header.
    """
    data = bytes(data)
    try:
        size, pos = get_varint(data, 0)
    except (IndexError, ValueError):
        raise CorruptionError("bad snappy header") from None
    out = bytearray()
    n = len(data)
    try:
        while pos < n:
            tag = data[pos]
            pos += 1
            kind = tag & 3
            if kind == 0:
                length = tag >> 2
                if length >= 60:
                    extra = length - 59
                    length = int.from_bytes(data[pos : pos + extra], "little")
                    pos += extra
                length += 1
                if pos + length > n:
                    raise CorruptionError("snappy literal runs past the end of the block")
                out += data[pos : pos + length]
                pos += length
                continue
            if kind == 1:
                length = 4 + ((tag >> 2) & 7)
                offset = ((tag >> 5) << 8) | data[pos]
                pos += 1
            elif kind == 2:
                length = (tag >> 2) + 1
                offset = int.from_bytes(data[pos : pos + 2], "little")
                pos += 2
            else:
                length = (tag >> 2) + 1
                offset = int.from_bytes(data[pos : pos + 4], "little")
                pos += 4
            if offset == 0 or offset > len(out) or pos > n:
                raise CorruptionError("bad snappy copy offset")
            start = len(out) - offset
            if offset >= length:
                out += out[start : start + length]
            else:  # overlapping: the copied run repeats itself
                chunk = out[start:]
                out += (chunk * (length // offset + 1))[:length]
    except IndexError:
        raise CorruptionError("snappy block is truncated") from None
    if len(out) != size:
        raise CorruptionError(f"snappy block holds {len(out)} bytes, its header says {size}")
    return bytes(out)


def _block_entries(block: bytes):
    if len(block) < 4:
        raise CorruptionError("block too short")
    (n_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * n_restarts
    if end < 0:
        raise CorruptionError("bad restart count")
    pos, key = 0, b""
    while pos < end:
        shared, pos = get_varint(block, pos)
        non_shared, pos = get_varint(block, pos)
        value_len, pos = get_varint(block, pos)
        if shared > len(key) or pos + non_shared + value_len > end:
            raise CorruptionError("bad block entry")
        key = key[:shared] + block[pos : pos + non_shared]
        pos += non_shared
        yield key, block[pos : pos + value_len]
        pos += value_len


def read_table(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of the table `data`, in key order.

    Raises:
      CorruptionError: the table is truncated, or a checksum or structure is wrong.
    """
    if len(data) < _FOOTER_SIZE:
        raise CorruptionError("file is too short to be a table (truncated?)")
    footer = data[-_FOOTER_SIZE:]
    if struct.unpack_from("<Q", footer, 40)[0] != _MAGIC:
        raise CorruptionError("not a table (bad magic number)")
    _, pos = get_varint(footer, 0)  # the metaindex handle: TF's tables have no meta blocks
    _, pos = get_varint(footer, pos)
    index = _read_block(data, footer, pos)
    entries = []
    for _, handle in _block_entries(index):
        entries.extend(_block_entries(_read_block(data, handle)))
    return entries
