"""`tf.summary`: summary ops, their protos, and `FileWriter` for TensorBoard's event files."""

from tensorboard.compat.proto.event_pb2 import (
    Event as Event,
    SessionLog as SessionLog,
    TaggedRunMetadata as TaggedRunMetadata,
)
from tensorboard.compat.proto.summary_pb2 import (
    Summary as Summary,
    SummaryDescription as SummaryDescription,
)

from flowgraph.ops.summary_ops import (
    audio as audio,
    histogram as histogram,
    image as image,
    merge as merge,
    merge_all as merge_all,
    scalar as scalar,
    tensor_summary as tensor_summary,
    text as text,
)
from flowgraph.summary.writer import (
    FileWriter as FileWriter,
    FileWriterCache as FileWriterCache,
)
