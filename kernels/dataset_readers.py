"""tf.data file sources (host): TFRecord, text-line, fixed-length and CSV datasets.

Each reads its files in order. An error in one file (a corrupt record: DataLossError
naming the file and offset) is raised for that element; the next element starts at the
next file, so `ignore_errors` skips the rest of a corrupt file.
"""

from __future__ import annotations

import collections
import gzip
import io
import itertools
import zlib
from typing import Callable, Iterator

import numpy as np

from kernels import parsing
from kernels.dataset import DatasetValue, _dataset_op
from kernels.errors import InvalidArgumentError, NotFoundError, OpError
from kernels.tfrecord import iter_record_chunks, iter_records

_OBJECT = np.dtype(object)


def _names(filenames) -> list[str]:
    names = np.asarray(filenames, dtype=object).reshape(-1)
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def _string(value) -> str:
    value = np.asarray(value, dtype=object).item()
    return value.decode() if isinstance(value, bytes) else str(value)


class FileRecords(DatasetValue):
    """The records of each file in turn, as scalar strings; `chunks`, where given, reads a
    file's records in lists."""

    def __init__(self, filenames, records: Callable[[str], Iterator], chunks=None):
        self.filenames, self.records = filenames, records
        self.chunks = chunks or (lambda name: _chunks(records(name)))

    def iterate(self):
        return _FileIterator(self.filenames, self.chunks)

    def chunkable(self) -> bool:
        return True

    def record_chunks(self):
        return _FileChunks(self.filenames, self.chunks)


class _FileIterator:
    """The records of each file (read by `records(name)` in lists), one element each."""

    def __init__(self, filenames, records):
        self._files = iter(filenames)
        self._records = records
        self._current = None

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self._current is None:
                self._current = iter(self.records_of(next(self._files)))
            try:
                return next(self._current)
            except StopIteration:
                self._current = None
            except OpError:
                self._current = None  # the rest of a corrupt file is skipped
                raise

    def records_of(self, name: str):
        return map(_scalar, itertools.chain.from_iterable(self._records(name)))


class _FileChunks(_FileIterator):
    """The records of each file in lists; a corrupt record ends its file's last list and
    raises next, as element by element."""

    def records_of(self, name: str):
        return self._records(name)


_CHUNK = 4096  # records per list: big enough to share out the per-list cost


def _chunks(records: Iterator[bytes]) -> Iterator[list]:
    chunk: list = []
    try:
        for record in records:
            chunk.append(record)
            if len(chunk) == _CHUNK:
                yield chunk
                chunk = []
    except OpError as e:
        error = e
    else:
        error = None
    if chunk:
        yield chunk
    if error is not None:
        raise error


def _scalar(record: bytes) -> tuple:
    out = np.empty((), _OBJECT)
    out[()] = record
    return (out,)


@_dataset_op("TFRecordDataset")
def tf_record_dataset(filenames, compression_type, buffer_size):
    kind = _string(compression_type)
    return FileRecords(
        _names(filenames),
        lambda name: iter_records(name, kind),
        lambda name: iter_record_chunks(name, kind),
    )


def _open(name: str, compression: str):
    try:
        f = open(name, "rb")
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{name}; No such file or directory") from None
    if compression == "GZIP":
        return gzip.GzipFile(fileobj=f)
    if compression == "ZLIB":
        data = zlib.decompress(f.read())
        f.close()
        return io.BytesIO(data)
    if compression:
        raise InvalidArgumentError(None, None, f"Unsupported compression type {compression!r}")
    return f


def _lines(name: str, compression: str, skip: int = 0):
    with _open(name, compression) as f:
        for number, line in enumerate(f):
            if number < skip:
                continue
            if line.endswith(b"\n"):
                line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
            yield line


@_dataset_op("TextLineDataset")
def text_line_dataset(filenames, compression_type, buffer_size):
    kind = _string(compression_type)
    return FileRecords(_names(filenames), lambda name: _lines(name, kind))


def _fixed_records(name, header, record, footer, compression):
    with _open(name, compression) as f:
        data = f.read()
    end = len(data) - footer
    for start in range(header, end - record + 1, record):
        yield data[start : start + record]


@_dataset_op("FixedLengthRecordDataset")
def fixed_length_record_dataset(filenames, header_bytes, record_bytes, footer_bytes, buffer_size):
    header, record, footer = (
        int(np.asarray(v)) for v in (header_bytes, record_bytes, footer_bytes)
    )
    if record <= 0:
        raise InvalidArgumentError(None, None, "record_bytes must be greater than zero.")
    return FileRecords(
        _names(filenames), lambda name: _fixed_records(name, header, record, footer, "")
    )


@_dataset_op("FixedLengthRecordDatasetV2")
def fixed_length_record_dataset_v2(
    filenames, header_bytes, record_bytes, footer_bytes, buffer_size, compression_type
):
    header, record, footer = (
        int(np.asarray(v)) for v in (header_bytes, record_bytes, footer_bytes)
    )
    if record <= 0:
        raise InvalidArgumentError(None, None, "record_bytes must be greater than zero.")
    kind = _string(compression_type)
    return FileRecords(
        _names(filenames), lambda name: _fixed_records(name, header, record, footer, kind)
    )


class CsvRows(DatasetValue):
    """CSV records decoded a chunk of lines at a time by DecodeCSV's kernel."""

    _CHUNK = 1024

    def __init__(self, filenames, compression, header, options, defaults):
        self.filenames, self.compression, self.header = filenames, compression, header
        self.options, self.defaults = options, defaults

    def iterate(self):
        return _CsvIterator(self)

    def lines(self):
        for name in self.filenames:
            yield from _lines(name, self.compression, 1 if self.header else 0)

    def rows(self, lines: list[bytes]) -> list:
        """The rows of `lines`; where the chunk fails, decoded line by line, with each bad
        line's error in its place."""
        lines = [line for line in lines if line]
        if not lines:
            return []
        try:
            columns = self._decode(lines)
        except InvalidArgumentError:
            return [self._row(line) for line in lines]
        return [tuple(c[i] for c in columns) for i in range(len(lines))]

    def _row(self, line: bytes):
        try:
            return tuple(c[0] for c in self._decode([line]))
        except InvalidArgumentError as e:  # TF's CSVDataset numbers no record
            return InvalidArgumentError(None, None, e.message.replace(" in record 0", " in record"))

    def _decode(self, lines: list[bytes]):
        records = np.empty(len(lines), _OBJECT)
        records[:] = lines
        return parsing.decode_csv(records, *self.defaults, **self.options)


class _CsvIterator:
    """The rows of `CsvRows`; a bad line raises in its own place and the rows after it
    follow, as TF's CSVDataset (so `ignore_errors` drops that line alone)."""

    def __init__(self, rows: CsvRows):
        self.rows, self.lines = rows, rows.lines()
        self.pending: collections.deque = collections.deque()

    def __iter__(self):
        return self

    def __next__(self):
        while not self.pending:
            chunk = list(itertools.islice(self.lines, CsvRows._CHUNK))
            if not chunk:
                raise StopIteration
            self.pending.extend(self.rows.rows(chunk))
        row = self.pending.popleft()
        if isinstance(row, OpError):
            raise row
        return row


@_dataset_op("CSVDataset")
def csv_dataset(
    filenames,
    compression_type,
    buffer_size,
    header,
    field_delim,
    use_quote_delim,
    na_value,
    select_cols,
    *defaults,
    output_types=(),
    output_shapes=(),
):
    options = dict(
        field_delim=_string(field_delim),
        use_quote_delim=bool(np.asarray(use_quote_delim)),
        na_value=_string(na_value),
        select_cols=tuple(int(c) for c in np.asarray(select_cols).reshape(-1)),
    )
    return CsvRows(
        _names(filenames),
        _string(compression_type),
        bool(np.asarray(header)),
        options,
        [np.asarray(d) for d in defaults],
    )
