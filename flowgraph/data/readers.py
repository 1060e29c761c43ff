"""tf.data file datasets: TFRecordDataset, TextLineDataset, FixedLengthRecordDataset."""

from __future__ import annotations

from flowgraph.data.dataset_ops import Dataset, _int64
from flowgraph.data.structure import Spec
from flowgraph.framework import dtypes, tensor_shape
from flowgraph.framework.ops import Tensor

_RECORD = Spec(dtypes.string, tensor_shape.TensorShape([]), Tensor)


def _strings(value, name: str):
    from flowgraph.ops.constant_op import convert_to_tensor

    t = convert_to_tensor(value, dtype=dtypes.string, name=name)
    if t.shape.ndims not in (None, 0, 1):
        raise ValueError(
            f"`{name}` must be a scalar or a vector of file names, got shape {t.shape}"
        )
    return t


def _parallel(files, make, num_parallel_reads):
    """One dataset per file, interleaved `num_parallel_reads` at a time (as TF reads)."""
    if num_parallel_reads is None:
        return make(files)
    from flowgraph.ops import array_ops

    names = Dataset.from_tensor_slices(array_ops.reshape(files, [-1]))
    return names.interleave(
        make,
        cycle_length=num_parallel_reads,
        block_length=1,
        num_parallel_calls=num_parallel_reads,
    )


class TFRecordDataset(Dataset):
    """The records of one or more TFRecord files (`compression_type` "", "ZLIB" or "GZIP").

    Example:
      >>> ds = tf.data.TFRecordDataset(["a.tfrecord", "b.tfrecord"]).map(parse)
    """

    def __init__(self, filenames, compression_type=None, buffer_size=None, num_parallel_reads=None):
        files = _strings(filenames, "filenames")
        kind = _strings(compression_type or "", "compression_type")
        size = _int64(256 * 1024 if buffer_size is None else buffer_size)

        def one(names):
            return Dataset(
                _RECORD,
                "TFRecordDataset",
                tensors=[names, kind, size],
                output_types=None,
                output_shapes=None,
            )

        inner = _parallel(files, one, num_parallel_reads)
        _adopt(self, inner)


class TextLineDataset(Dataset):
    """The lines of one or more text files, without their line endings."""

    def __init__(self, filenames, compression_type=None, buffer_size=None, num_parallel_reads=None):
        files = _strings(filenames, "filenames")
        kind = _strings(compression_type or "", "compression_type")
        size = _int64(256 * 1024 if buffer_size is None else buffer_size)

        def one(names):
            return Dataset(
                _RECORD,
                "TextLineDataset",
                tensors=[names, kind, size],
                output_types=None,
                output_shapes=None,
            )

        _adopt(self, _parallel(files, one, num_parallel_reads))


class FixedLengthRecordDataset(Dataset):
    """`record_bytes`-long records of one or more binary files, between `header_bytes`
    and `footer_bytes`."""

    def __init__(
        self,
        filenames,
        record_bytes,
        header_bytes=None,
        footer_bytes=None,
        buffer_size=None,
        compression_type=None,
        num_parallel_reads=None,
    ):
        files = _strings(filenames, "filenames")
        sizes = [_int64(v or 0) for v in (header_bytes, record_bytes, footer_bytes)]
        buffer = _int64(256 * 1024 if buffer_size is None else buffer_size)

        def one(names):
            if compression_type is None:
                return Dataset(
                    _RECORD,
                    "FixedLengthRecordDataset",
                    tensors=[names, *sizes, buffer],
                    output_types=None,
                    output_shapes=None,
                )
            kind = _strings(compression_type, "compression_type")
            return Dataset(
                _RECORD,
                "FixedLengthRecordDatasetV2",
                tensors=[names, *sizes, buffer, kind],
                output_types=None,
                output_shapes=None,
            )

        _adopt(self, _parallel(files, one, num_parallel_reads))


def _adopt(outer: Dataset, inner: Dataset) -> None:
    """Makes `outer` the dataset `inner` describes (reader classes are Datasets)."""
    Dataset.__init__(
        outer, inner._specs, inner._op_type, inner._input_datasets, inner._tensors, **inner._attrs
    )
