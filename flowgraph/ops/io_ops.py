"""Readers: `tf.TextLineReader`, `tf.TFRecordReader`, ... turn file names dequeued from a
queue into (key, value) records. Each session holds its own reader state."""

from __future__ import annotations

from flowgraph.framework import dtypes as _dtypes
from flowgraph.framework.ops import Tensor, apply_op, init_scope
from flowgraph.ops.constant_op import convert_to_tensor
from flowgraph.python_io import TFRecordOptions
from kernels import readers  # noqa: F401  (registers the kernels)


class ReaderBase:
    """Base class for readers: each `read` gives the next record of the current work unit,
    first dequeuing a work unit (a file name) from a queue when none is in progress.

    Example:
      >>> filenames = tf.train.string_input_producer(["a.csv", "b.csv"])
      >>> key, value = tf.TextLineReader().read(filenames)   # b"a.csv:1", b"first line"
    """

    def __init__(self, reader_ref, supports_serialize=False):
        self._reader_ref = reader_ref
        self._supports_serialize = supports_serialize

    @property
    def reader_ref(self) -> Tensor:
        """The reader's handle."""
        return self._reader_ref

    @property
    def supports_serialize(self) -> bool:
        """Whether `serialize_state` and `restore_state` work for this reader."""
        return self._supports_serialize

    def read(self, queue, name=None) -> tuple[Tensor, Tensor]:
        """Returns the next (key, value) record as two string scalars.

        Args:
          queue: a queue (or its handle) of string work units.
          name: a name for the operation.

        Raises (when run):
          OutOfRangeError: the queue is closed and every work unit is read.
        """
        return apply_op("ReaderReadV2", [self._reader_ref, _queue_ref(queue)], name=name)

    def read_up_to(self, queue, num_records, name=None) -> tuple[Tensor, Tensor]:
        """Returns up to `num_records` (keys, values) of the current work unit (fewer at its
        end) as two string vectors."""
        num = convert_to_tensor(num_records, dtype=_dtypes.int64)
        return apply_op("ReaderReadUpToV2", [self._reader_ref, _queue_ref(queue), num], name=name)

    def num_records_produced(self, name=None) -> Tensor:
        """An int64 scalar: how many records this reader has produced."""
        return apply_op("ReaderNumRecordsProducedV2", [self._reader_ref], name=name)

    def num_work_units_completed(self, name=None) -> Tensor:
        """An int64 scalar: how many work units this reader has finished."""
        return apply_op("ReaderNumWorkUnitsCompletedV2", [self._reader_ref], name=name)

    def serialize_state(self, name=None) -> Tensor:
        """A string scalar encoding the reader's state (UnimplementedError, when run, for
        readers that do not support it)."""
        return apply_op("ReaderSerializeStateV2", [self._reader_ref], name=name)

    def restore_state(self, state, name=None):
        """Restores a state from `serialize_state`."""
        state = convert_to_tensor(state, dtype=_dtypes.string)
        return apply_op("ReaderRestoreStateV2", [self._reader_ref, state], name=name)

    def reset(self, name=None):
        """Resets the reader to its initial state (counters zero, no work in progress)."""
        return apply_op("ReaderResetV2", [self._reader_ref], name=name)


def _queue_ref(queue) -> Tensor:
    return queue if isinstance(queue, Tensor) else queue.queue_ref


def _reader(op_type: str, name, **attrs) -> Tensor:
    with init_scope():
        ref = apply_op(op_type, [], name=name, container="", shared_name="", **attrs)
    ref._dtype = _dtypes.resource
    return ref


class TextLineReader(ReaderBase):
    """A reader whose records are the lines of a file (without their line ending); keys
    are `file:line_number`. The first `skip_header_lines` lines are skipped."""

    def __init__(self, skip_header_lines=None, name=None):
        ref = _reader("TextLineReaderV2", name, skip_header_lines=int(skip_header_lines or 0))
        super().__init__(ref)


class TFRecordReader(ReaderBase):
    """A reader whose records are a TFRecord file's records; keys are `file:offset`.

    Args:
      name: a name for the operation.
      options: a `tf.python_io.TFRecordOptions` (GZIP or ZLIB compressed files).
    """

    def __init__(self, name=None, options=None):
        compression = TFRecordOptions.get_compression_type_string(options)
        super().__init__(_reader("TFRecordReaderV2", name, compression_type=compression))


class FixedLengthRecordReader(ReaderBase):
    """A reader whose records are `record_bytes`-long pieces of a file, after
    `header_bytes` and before `footer_bytes`, one every `hop_bytes` (default: back to
    back); keys are `file:record_number`. `encoding` "ZLIB" or "GZIP" decompresses."""

    def __init__(
        self,
        record_bytes,
        header_bytes=None,
        footer_bytes=None,
        hop_bytes=None,
        name=None,
        encoding=None,
    ):
        ref = _reader(
            "FixedLengthRecordReaderV2",
            name,
            record_bytes=int(record_bytes),
            header_bytes=int(header_bytes or 0),
            footer_bytes=int(footer_bytes or 0),
            hop_bytes=int(hop_bytes or 0),
            encoding=encoding or "",
        )
        super().__init__(ref)


class WholeFileReader(ReaderBase):
    """A reader with one record per file: key the file name, value its contents."""

    def __init__(self, name=None):
        super().__init__(_reader("WholeFileReaderV2", name))


class IdentityReader(ReaderBase):
    """A reader with one record per work unit: the work string as key and value. Its state
    can be serialized and restored."""

    def __init__(self, name=None):
        super().__init__(_reader("IdentityReaderV2", name), supports_serialize=True)
