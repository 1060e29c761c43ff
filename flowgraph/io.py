"""`tf.io`: TFRecord files, Example parsing, CSV and raw decoding, file ops and gfile."""

from flowgraph import gfile as gfile
from flowgraph.ops.file_io_ops import (
    matching_files as matching_files,
    read_file as read_file,
    write_file as write_file,
)
from flowgraph.ops.parsing_ops import (
    FixedLenFeature as FixedLenFeature,
    FixedLenSequenceFeature as FixedLenSequenceFeature,
    SparseFeature as SparseFeature,
    VarLenFeature as VarLenFeature,
    decode_csv as decode_csv,
    decode_raw as decode_raw,
    parse_example as parse_example,
    parse_single_example as parse_single_example,
    parse_single_sequence_example as parse_single_sequence_example,
    parse_tensor as parse_tensor,
    serialize_tensor as serialize_tensor,
)
from flowgraph.python_io import (
    TFRecordCompressionType as TFRecordCompressionType,
    TFRecordOptions as TFRecordOptions,
    TFRecordWriter as TFRecordWriter,
    tf_record_iterator as tf_record_iterator,
)
