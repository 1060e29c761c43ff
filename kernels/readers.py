"""Reader kernels (host): session resources that turn work units (file names dequeued from
a queue) into (key, value) records, as TF's ReaderBase does."""

from __future__ import annotations

import gzip
import threading
import zlib
from typing import Iterator

import numpy as np

from kernels.errors import (
    InvalidArgumentError,
    NotFoundError,
    UnimplementedError,
)
from kernels.registry import HOST, MAKES_RESOURCE, Effects, Spec, register
from kernels.resource_names import resource_name
from kernels.tfrecord import iter_record_chunks

_OBJECT = np.dtype(object)
_INT64 = np.dtype(np.int64)

Record = tuple[bytes, bytes]


class Reader:
    """Reads records from work units taken one at a time from a queue of strings.

    A subclass says how one work unit becomes records (`records`, or `record_lists` where
    it has them in lists already). Counters follow TF: a work unit is started when dequeued
    and finished when its records run out.
    """

    type_name = "ReaderBase"
    supports_serialize = False
    single_record = False  # a work unit is one record: it ends with it, as TF reports

    def __init__(self, name: str):
        self.name = name
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.work = b""
        self.work_started = 0
        self.work_finished = 0
        self.records_produced = 0
        self._lists: Iterator[tuple[list, list]] | None = None
        self._keys: list[bytes] = []  # the current lists' records not yet read
        self._values: list[bytes] = []
        self._at = 0

    def records(self, work: bytes) -> Iterator[Record]:
        raise NotImplementedError

    def record_lists(self, work: bytes) -> Iterator[tuple[list[bytes], list[bytes]]]:
        """The records of `work` as (keys, values) lists, in order (here one record each)."""
        for key, value in self.records(work):
            yield [key], [value]

    def read_up_to(self, queue, n: int, deadline: float | None = None) -> list[Record]:
        """`read_lists` as (key, value) pairs."""
        return list(zip(*self.read_lists(queue, n, deadline)))

    def read_lists(self, queue, n: int, deadline: float | None = None) -> tuple[list, list]:
        """Up to `n` records of the current work unit as (keys, values) lists (dequeuing a
        unit from `queue` when none is in progress, waiting until `deadline`); fewer when
        the unit ends. OutOfRangeError once the queue is closed and empty. A file's records
        are cut from its lists in slices: no step per record."""
        with self._lock:
            keys: list[bytes] = []
            values: list[bytes] = []
            while len(keys) < n:
                if self.work_finished >= self.work_started:
                    self._start(queue, deadline)
                wanted = 1 if self.single_record else n - len(keys)
                got = self._take(wanted, keys, values)
                if self.single_record or got < wanted:
                    self._lists = None
                    self.work_finished = self.work_started
                    if keys:
                        break
            return keys, values

    def _take(self, wanted: int, keys: list, values: list) -> int:
        """Appends up to `wanted` of the unit's records to `keys` and `values`; how many
        (fewer: the unit ended). Records read before an error count, as TF's counter has
        them, and are lost with the read that failed."""
        got = 0
        while got < wanted:
            if self._at == len(self._keys):
                try:
                    self._keys, self._values = next(self._lists) if self._lists else ([], [])
                except StopIteration:
                    self._keys, self._values = [], []
                self._at = 0
                if not self._keys:
                    break
            stop = min(len(self._keys), self._at + wanted - got)
            keys += self._keys[self._at : stop]
            values += self._values[self._at : stop]
            self.records_produced += stop - self._at
            got += stop - self._at
            self._at = stop
        return got

    def _start(self, queue, deadline: float | None) -> None:
        (work,) = queue.dequeue(1, deadline=deadline)[0]
        self.work = _as_bytes(work.item() if isinstance(work, np.ndarray) else work)
        self.work_started += 1
        self._lists = self.record_lists(self.work)
        self._keys, self._values, self._at = [], [], 0

    def num_records_produced(self) -> int:
        with self._lock:
            return self.records_produced

    def num_work_units_completed(self) -> int:
        with self._lock:
            return self.work_finished

    def reset(self) -> None:
        with self._lock:
            self._reset()

    def serialize_state(self) -> bytes:
        if not self.supports_serialize:
            raise UnimplementedError(None, None, "Reader SerializeState")
        with self._lock:
            return _encode_state(
                self.work_started, self.work_finished, self.records_produced, self.work
            )

    def restore_state(self, state: bytes) -> None:
        if not self.supports_serialize:
            raise UnimplementedError(None, None, "Reader RestoreState")
        with self._lock:
            try:
                started, finished, produced, work = _decode_state(state)
            except (IndexError, ValueError) as e:
                raise InvalidArgumentError(
                    None, None, f"Could not parse state for {self.type_name} '{self.name}': {e}"
                ) from None
            if not 0 <= finished <= started or produced < 0:
                raise InvalidArgumentError(
                    None,
                    None,
                    f"Inconsistent state for {self.type_name} '{self.name}': work_started "
                    f"{started}, work_finished {finished}, num_records_produced {produced}",
                )
            self.work_started, self.work_finished = started, finished
            self.records_produced, self.work = produced, work
            self._lists, self._keys, self._values, self._at = None, [], [], 0


def _as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def _open(path: bytes):
    try:
        return open(path.decode(), "rb")
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path.decode()}; No such file or directory") from None
    except IsADirectoryError:
        raise InvalidArgumentError(None, None, f"{path.decode()} is a directory") from None


def _key(work: bytes, n: int) -> bytes:
    return work + b":" + str(n).encode()


class TextLineReader(Reader):
    """Records are a file's lines without their line ending; keys `file:line_number`."""

    type_name = "TextLineReader"

    def __init__(self, name: str, skip_header_lines: int):
        super().__init__(name)
        self.skip_header_lines = skip_header_lines

    def records(self, work: bytes) -> Iterator[Record]:
        with _open(work) as f:
            for number, line in enumerate(f, start=1):
                if number <= self.skip_header_lines:
                    continue
                if line.endswith(b"\n"):
                    line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
                yield _key(work, number), line


class TFRecordReader(Reader):
    """Records are a TFRecord file's records; keys `file:offset` (of the record)."""

    type_name = "TFRecordReader"

    def __init__(self, name: str, compression_type: str):
        super().__init__(name)
        self.compression_type = compression_type

    def records(self, work: bytes) -> Iterator[Record]:
        for keys, values in self.record_lists(work):
            yield from zip(keys, values)

    def record_lists(self, work: bytes) -> Iterator[tuple["_Keys", list[bytes]]]:
        offset, key = 0, (work.replace(b"%", b"%%") + b":%d").__mod__
        for chunk in iter_record_chunks(work.decode(), self.compression_type):
            if not chunk:
                continue
            # Each record's frame: its length (8), the length's CRC (4), data, data CRC (4).
            ends = np.fromiter(map(len, chunk), _INT64, len(chunk))
            ends += _FRAMING
            np.cumsum(ends, out=ends)
            ends += offset
            offsets = [offset, *ends[:-1].tolist()]  # C calls only, no step in Python
            offset = int(ends[-1])
            yield _Keys(key, offsets), chunk


_FRAMING = 8 + 4 + 4  # bytes of a record's frame besides its data


class _Keys:
    """A file's record keys, each made when a read takes it: a read's keys are one C call
    (`map` of a bound format) over its slice of the offsets, where a whole file's in one
    call held the GIL ~0.2 ms (2000 records) while the training step waited for it."""

    def __init__(self, key, offsets: list[int]):
        self._key, self._offsets = key, offsets

    def __len__(self) -> int:
        return len(self._offsets)

    def __getitem__(self, where):
        if isinstance(where, slice):
            return list(map(self._key, self._offsets[where]))
        return self._key(self._offsets[where])

    def __iter__(self) -> Iterator[bytes]:
        return map(self._key, self._offsets)


class FixedLengthRecordReader(Reader):
    """Records are `record_bytes`-long pieces of a file between a header and a footer,
    one every `hop_bytes` (default: back to back); keys `file:record_number`."""

    type_name = "FixedLengthRecordReader"

    def __init__(self, name, header_bytes, record_bytes, footer_bytes, hop_bytes, encoding):
        super().__init__(name)
        self.header_bytes, self.record_bytes = header_bytes, record_bytes
        self.footer_bytes = footer_bytes
        self.hop_bytes = hop_bytes or record_bytes
        self.encoding = encoding

    def records(self, work: bytes) -> Iterator[Record]:
        with _open(work) as f:
            data = f.read()
        if self.encoding == "ZLIB":
            data = zlib.decompress(data)
        elif self.encoding == "GZIP":
            data = gzip.decompress(data)
        end = len(data) - self.footer_bytes
        start, number = self.header_bytes, 0
        while start + self.record_bytes <= end:
            yield _key(work, number), data[start : start + self.record_bytes]
            start += self.hop_bytes
            number += 1


class WholeFileReader(Reader):
    """One record per file: its name and its whole contents."""

    type_name = "WholeFileReader"
    single_record = True

    def records(self, work: bytes) -> Iterator[Record]:
        with _open(work) as f:
            yield work, f.read()


class IdentityReader(Reader):
    """One record per work unit: the work string as both key and value."""

    type_name = "IdentityReader"
    supports_serialize = True
    single_record = True

    def records(self, work: bytes) -> Iterator[Record]:
        yield work, work


# -- TF's ReaderBaseState proto (reader_base.proto), encoded by hand: four fields ----------


def _encode_state(started: int, finished: int, produced: int, work: bytes) -> bytes:
    out = bytearray()
    for field, value in ((1, started), (2, finished), (3, produced)):
        if value:
            out += _varint(field << 3) + _varint(value)
    if work:
        out += _varint(4 << 3 | 2) + _varint(len(work)) + work
    return bytes(out)


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _decode_state(state: bytes) -> tuple[int, int, int, bytes]:
    fields: dict[int, int | bytes] = {1: 0, 2: 0, 3: 0, 4: b""}
    i = 0
    while i < len(state):
        tag, i = _read_varint(state, i)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, i = _read_varint(state, i)
            fields[field] = value - (1 << 64) if value >> 63 else value
        elif wire == 2:
            n, i = _read_varint(state, i)
            if i + n > len(state):
                raise ValueError("truncated field")
            fields[field], i = state[i : i + n], i + n
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return fields[1], fields[2], fields[3], bytes(fields[4])


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i += 1
        if not byte & 0x80:
            return value, i
        shift += 7


# -- registrations -------------------------------------------------------------------------


def _handle_shape(specs, attrs, static_values):
    return [Spec((), _OBJECT)]


def _scalar(dtype):
    return lambda specs, attrs, static_values: [Spec((), dtype)]


def _no_outputs(specs, attrs, static_values):
    return []


@register("TextLineReaderV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def text_line_reader_v2(name, *, skip_header_lines=0, shared_name="", container=""):
    return TextLineReader(resource_name(name, shared_name, container), skip_header_lines)


@register("TFRecordReaderV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def tf_record_reader_v2(name, *, compression_type="", shared_name="", container=""):
    return TFRecordReader(resource_name(name, shared_name, container), compression_type)


@register("FixedLengthRecordReaderV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def fixed_length_record_reader_v2(
    name,
    *,
    record_bytes,
    header_bytes=0,
    footer_bytes=0,
    hop_bytes=0,
    encoding="",
    shared_name="",
    container="",
):
    name = resource_name(name, shared_name, container)
    return FixedLengthRecordReader(
        name, header_bytes, record_bytes, footer_bytes, hop_bytes, encoding
    )


@register("WholeFileReaderV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def whole_file_reader_v2(name, *, shared_name="", container=""):
    return WholeFileReader(resource_name(name, shared_name, container))


@register("IdentityReaderV2", kind=HOST, effects=MAKES_RESOURCE, shape=_handle_shape)
def identity_reader_v2(name, *, shared_name="", container=""):
    return IdentityReader(resource_name(name, shared_name, container))


_READER_AND_QUEUE = Effects(resources=("reader_handle", "queue_handle"))
_READER = Effects(resources=("reader_handle",))


@register(
    "ReaderReadV2",
    kind=HOST,
    effects=_READER_AND_QUEUE,
    shape=lambda specs, attrs, static_values: [Spec((), _OBJECT), Spec((), _OBJECT)],
)
def reader_read_v2(reader_handle, queue_handle, *, deadline=None):
    ((key, value),) = reader_handle.read_up_to(queue_handle, 1, deadline)
    return np.array(key, _OBJECT), np.array(value, _OBJECT)


@register(
    "ReaderReadUpToV2",
    kind=HOST,
    effects=_READER_AND_QUEUE,
    shape=lambda specs, attrs, static_values: [Spec((None,), _OBJECT), Spec((None,), _OBJECT)],
)
def reader_read_up_to_v2(reader_handle, queue_handle, num_records, *, deadline=None):
    n = int(num_records)
    if n <= 0:
        raise InvalidArgumentError(None, None, f"num_records must be positive, got {n}")
    keys, values = reader_handle.read_lists(queue_handle, n, deadline)
    return _strings(keys), _strings(values)


def _strings(items: list[bytes]) -> np.ndarray:
    out = np.empty(len(items), _OBJECT)
    out[:] = items
    return out


@register(
    "ReaderNumRecordsProducedV2",
    kind=HOST,
    effects=_READER,
    shape=_scalar(_INT64),
)
def reader_num_records_produced_v2(reader_handle):
    return np.int64(reader_handle.num_records_produced())


@register(
    "ReaderNumWorkUnitsCompletedV2",
    kind=HOST,
    effects=_READER,
    shape=_scalar(_INT64),
)
def reader_num_work_units_completed_v2(reader_handle):
    return np.int64(reader_handle.num_work_units_completed())


@register("ReaderSerializeStateV2", kind=HOST, effects=_READER, shape=_scalar(_OBJECT))
def reader_serialize_state_v2(reader_handle):
    return np.array(reader_handle.serialize_state(), _OBJECT)


@register("ReaderRestoreStateV2", kind=HOST, effects=_READER, shape=_no_outputs)
def reader_restore_state_v2(reader_handle, state):
    reader_handle.restore_state(_as_bytes(np.asarray(state, _OBJECT).item()))
    return ()


@register("ReaderResetV2", kind=HOST, effects=_READER, shape=_no_outputs)
def reader_reset_v2(reader_handle):
    reader_handle.reset()
    return ()
