"""`tf.python_io`: TFRecord files written and read from Python, outside the graph."""

from __future__ import annotations

from kernels.tfrecord import RecordWriter, iter_records


class TFRecordCompressionType:
    """The compression of a TFRecord file."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


_COMPRESSION_NAMES = {
    TFRecordCompressionType.NONE: "",
    TFRecordCompressionType.ZLIB: "ZLIB",
    TFRecordCompressionType.GZIP: "GZIP",
}


class TFRecordOptions:
    """Options of a TFRecord file: its compression ("", "ZLIB", "GZIP" or a
    `TFRecordCompressionType`) and zlib's `compression_level` (-1: default)."""

    compression_type_map = _COMPRESSION_NAMES

    def __init__(self, compression_type=None, compression_level=None, **zlib_options):
        self.compression_type = compression_type
        self.compression_level = compression_level
        self.zlib_options = zlib_options

    @classmethod
    def get_compression_type_string(cls, options) -> str:
        """The compression name ("", "ZLIB" or "GZIP") of `options`: a TFRecordOptions, a
        `TFRecordCompressionType`, a name, or None."""
        if isinstance(options, TFRecordOptions):
            options = options.compression_type
        if options is None:
            return ""
        if isinstance(options, int):
            return _COMPRESSION_NAMES[options]
        if options not in ("", "ZLIB", "GZIP"):
            raise ValueError(f'Unsupported compression type {options!r}; use "", "ZLIB" or "GZIP"')
        return options


class TFRecordWriter:
    """Writes records to a TFRecord file (a context manager).

    Example:
      >>> with tf.python_io.TFRecordWriter("data.tfrecord") as writer:
      ...     writer.write(example.SerializeToString())
    """

    def __init__(self, path, options=None):
        level = options.compression_level if isinstance(options, TFRecordOptions) else None
        self._writer = RecordWriter(
            str(path),
            TFRecordOptions.get_compression_type_string(options),
            -1 if level is None else level,
        )

    def write(self, record) -> None:
        """Writes one record (bytes, or str encoded as UTF-8)."""
        self._writer.write(record.encode() if isinstance(record, str) else record)

    def flush(self) -> None:
        """Flushes the file, so readers see every record written so far."""
        self._writer.flush()

    def close(self) -> None:
        """Closes the file."""
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def tf_record_iterator(path, options=None):
    """Yields each record of a TFRecord file as bytes; `DataLossError` on a corrupted or
    truncated record.

    Example:
      >>> for record in tf.python_io.tf_record_iterator("data.tfrecord"):
      ...     example = tf.train.Example.FromString(record)
    """
    return iter_records(str(path), TFRecordOptions.get_compression_type_string(options))
