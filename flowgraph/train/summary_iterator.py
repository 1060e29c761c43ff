"""`tf.train.summary_iterator`: the `Event` protos of an event file, in order."""

from __future__ import annotations

from collections.abc import Iterator

from tensorboard.compat.proto.event_pb2 import Event

from kernels.tfrecord import iter_records


def summary_iterator(path) -> Iterator[Event]:
    """Yields each `Event` of the event file at `path` (as `FileWriter` wrote them).

    Raises:
      NotFoundError: `path` does not exist.
      DataLossError: a record is truncated or corrupt.

    Example:
      >>> for event in tf.train.summary_iterator(path):
      ...     for value in event.summary.value:
      ...         print(event.step, value.tag, value.simple_value)
    """
    for record in iter_records(str(path)):
        yield Event.FromString(record)
