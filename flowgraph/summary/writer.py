"""`tf.summary.FileWriter`: writes summaries, graphs and run metadata to event files for
TensorBoard, on tensorboardX's event file writer."""

from __future__ import annotations

import os
import queue
import socket
import threading
import time
import warnings

from tensorboard.compat.proto import event_pb2, graph_pb2, meta_graph_pb2, summary_pb2
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboardX.event_file_writer import EventsWriter
from tensorboardX.proto import event_pb2 as tbx_event_pb2

from flowgraph.framework.ops import Graph, get_default_graph


def as_proto(value, proto_class, what: str):
    """`value` as a `proto_class` message: parsed from bytes, or converted through its bytes
    from a wire-compatible message of another proto library (e.g. tensorboardX's)."""
    if isinstance(value, proto_class):
        return value
    if isinstance(value, bytes):
        return proto_class.FromString(value)
    if not _is_message(value, proto_class):
        raise TypeError(f"{what} must be a {proto_class.DESCRIPTOR.name} proto, saw {value!r}")
    return proto_class.FromString(value.SerializeToString())


def _new_events_writer(logdir: str, suffix: str) -> EventsWriter:
    """A tensorboardX `EventsWriter` on a new event file in `logdir`.

    Event files are named by the second they were opened in (as TF names them); a second
    file opened in the same second (a reopened or second writer) gets a counter after the
    suffix, so it neither truncates the first nor sorts before it.
    """
    stem = f"events.out.tfevents.{str(time.time())[:10]}.{socket.gethostname()}{suffix}"
    unique, n = suffix, 0
    while os.path.exists(os.path.join(logdir, stem + unique[len(suffix) :])):
        n += 1
        unique = f"{suffix}.{n}"
    return EventsWriter(os.path.join(logdir, "events"), unique)


class EventFileWriter:
    """Writes `Event` protos to an event file from a background thread, as TF1's does.

    `add_event` queues an event (blocking while `max_queue` are pending); the thread writes
    them in order and flushes the file every `flush_secs`. `flush` returns once every queued
    event is on disk. After `close`, `reopen` starts a new event file in the same logdir.
    (tensorboardX's own `EventFileWriter` neither drains its queue on `flush` nor opens a new
    file on `reopen`; its `EventsWriter` does the record framing and file naming here.)
    """

    def __init__(self, logdir, max_queue=10, flush_secs=120, filename_suffix=None):
        self._logdir = str(logdir)
        os.makedirs(self._logdir, exist_ok=True)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._suffix = filename_suffix or ""
        self._open()

    def _open(self) -> None:
        self._queue: queue.Queue = queue.Queue(max(self._max_queue, 0))
        self._failure: BaseException | None = None
        self._events = _new_events_writer(self._logdir, self._suffix)
        self._worker = threading.Thread(target=self._write_loop, daemon=True)
        self._worker.start()
        self._closed = False

    def get_logdir(self) -> str:
        """The directory event files are written to."""
        return self._logdir

    def add_event(self, event: event_pb2.Event) -> None:
        """Queues `event` for writing (nothing happens once closed)."""
        if not self._closed:
            self._raise_failure()
            self._queue.put(event.SerializeToString())

    def flush(self) -> None:
        """Waits until every queued event is written, then flushes the file to disk."""
        if not self._closed:
            done = threading.Event()
            self._queue.put(done)
            done.wait()
            self._raise_failure()

    def close(self) -> None:
        """Flushes and closes the event file and stops the writing thread."""
        if not self._closed:
            try:
                self.flush()
            finally:
                self._queue.put(None)
                self._worker.join()
                self._events.close()
                self._closed = True

    def reopen(self) -> None:
        """After `close`, starts a new event file in the same logdir; otherwise does nothing."""
        if self._closed:
            self._open()

    def _write_loop(self) -> None:
        next_flush = 0.0
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                if isinstance(item, threading.Event):
                    self._events.flush()
                    item.set()
                    continue
                if self._failure is None:
                    # tensorboardX's writer takes its own Event class: cross as bytes.
                    self._events.write_event(tbx_event_pb2.Event.FromString(item))
                    if time.time() > next_flush:
                        self._events.flush()
                        next_flush = time.time() + self._flush_secs
            except Exception as e:  # an I/O error: reported to the next caller
                self._failure = e
                if isinstance(item, threading.Event):
                    item.set()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure


class FileWriter:
    """Writes `Summary` protos, graphs and other events to event files in `logdir`.

    Events are written asynchronously by a background thread; `flush` waits until they are
    on disk. TensorBoard reads the directory (`tensorboard --logdir ...`).

    Example:
      >>> merged = tf.summary.merge_all()
      >>> writer = tf.summary.FileWriter("/tmp/logs", sess.graph)
      >>> for step in range(100):
      ...     writer.add_summary(sess.run(merged, feed), global_step=step)
      >>> writer.close()
    """

    def __init__(
        self,
        logdir,
        graph=None,
        max_queue=10,
        flush_secs=120,
        graph_def=None,
        filename_suffix=None,
        session=None,
    ):
        """Creates a FileWriter and a new event file in `logdir` (created if missing).

        Args:
          logdir: the directory to write event files to.
          graph: a `Graph` (such as `sess.graph`) to write now, as `add_graph` would.
          max_queue: how many events may be pending before an `add_*` call blocks.
          flush_secs: how often, in seconds, pending events are flushed to disk.
          graph_def: DEPRECATED: a `GraphDef` to write; use `graph`.
          filename_suffix: a suffix for the event file's name.
          session: accepted for TF1 compatibility; events are written to `logdir`
            directly either way.
        """
        self.event_writer = EventFileWriter(logdir, max_queue, flush_secs, filename_suffix)
        self._closed = False
        self._seen_summary_tags: set[str] = set()
        self._session_run_tags: set[str] = set()
        if graph is not None or graph_def is not None:
            written = _graph_def_of(graph, graph_def)
            self._add_graph_def(written, None)
            self.add_meta_graph(meta_graph_pb2.MetaGraphDef(graph_def=written))

    def __enter__(self) -> "FileWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get_logdir(self) -> str:
        """The directory event files are written to."""
        return self.event_writer.get_logdir()

    def add_summary(self, summary, global_step=None) -> None:
        """Writes a `Summary` (a proto, or the bytes a summary op returns) at `global_step`.

        The metadata of a tag is written with its first value only, as TF does.
        """
        summary = summary_pb2.Summary.FromString(
            as_proto(summary, summary_pb2.Summary, "summary").SerializeToString()
        )
        for value in summary.value:
            if not value.HasField("metadata"):
                continue
            if value.tag in self._seen_summary_tags:
                value.ClearField("metadata")
            else:
                self._seen_summary_tags.add(value.tag)
        self._add_event(event_pb2.Event(summary=summary), global_step)

    def add_session_log(self, session_log, global_step=None) -> None:
        """Writes a `SessionLog` (START, STOP or CHECKPOINT) at `global_step`."""
        log = as_proto(session_log, event_pb2.SessionLog, "session_log")
        self._add_event(event_pb2.Event(session_log=log), global_step)

    def add_graph(self, graph=None, global_step=None, graph_def=None) -> None:
        """Writes a `Graph` (or a `GraphDef`) for TensorBoard's Graphs dashboard.

        Raises:
          ValueError: both `graph` and `graph_def` are given.
          TypeError: the graph is neither a `Graph` nor a `GraphDef`.
        """
        self._add_graph_def(_graph_def_of(graph, graph_def), global_step)

    def _add_graph_def(self, graph_def: graph_pb2.GraphDef, step) -> None:
        self._add_event(event_pb2.Event(graph_def=graph_def.SerializeToString()), step)

    def add_meta_graph(self, meta_graph_def, global_step=None) -> None:
        """Writes a `MetaGraphDef` (as `Saver.export_meta_graph` returns).

        Raises:
          TypeError: `meta_graph_def` is not a `MetaGraphDef`.
        """
        if not _is_message(meta_graph_def, meta_graph_pb2.MetaGraphDef):
            raise TypeError(
                f"meta_graph_def must be type MetaGraphDef, saw type: {type(meta_graph_def)}"
            )
        meta_graph = as_proto(meta_graph_def, meta_graph_pb2.MetaGraphDef, "meta_graph_def")
        event = event_pb2.Event(meta_graph_def=meta_graph.SerializeToString())
        self._add_event(event, global_step)

    def add_run_metadata(self, run_metadata, tag, global_step=None) -> None:
        """Writes a step's `RunMetadata` (step stats, partition graphs) under `tag`.

        Raises:
          ValueError: `tag` was already used by this writer.
        """
        if tag in self._session_run_tags:
            raise ValueError("The provided tag was already used for this event type")
        self._session_run_tags.add(tag)
        metadata = as_proto(run_metadata, RunMetadata, "run_metadata")
        tagged = event_pb2.TaggedRunMetadata(tag=tag, run_metadata=metadata.SerializeToString())
        self._add_event(event_pb2.Event(tagged_run_metadata=tagged), global_step)

    def add_event(self, event) -> None:
        """Writes an `Event` proto as it is."""
        self._warn_if_closed()
        self.event_writer.add_event(as_proto(event, event_pb2.Event, "event"))

    def flush(self) -> None:
        """Waits until every pending event is written to disk."""
        self._warn_if_closed()
        self.event_writer.flush()

    def close(self) -> None:
        """Flushes and closes the event file; `reopen` starts a new one."""
        try:
            self.event_writer.close()
        finally:
            self._closed = True

    def reopen(self) -> None:
        """Reopens a closed writer: later events go to a new event file in the same logdir."""
        self.event_writer.reopen()
        self._closed = False

    def _add_event(self, event: event_pb2.Event, step) -> None:
        self._warn_if_closed()
        event.wall_time = time.time()
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def _warn_if_closed(self) -> None:
        if self._closed:
            warnings.warn(
                "Attempting to use a closed FileWriter. The operation will be a noop "
                "unless the FileWriter is explicitly reopened.",
                stacklevel=3,
            )


def _graph_def_of(graph, graph_def) -> graph_pb2.GraphDef:
    """The GraphDef of a `Graph` (with output shapes, which TensorBoard draws on edges) or
    the `GraphDef` given, through either argument as TF1 allows."""
    if graph is not None and graph_def is not None:
        raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
    given = graph if graph is not None else graph_def
    if isinstance(given, Graph):
        return given.as_graph_def(add_shapes=True)
    if not _is_message(given, graph_pb2.GraphDef):
        raise TypeError(
            "The passed graph must be an instance of `Graph` or the deprecated `GraphDef`"
        )
    return as_proto(given, graph_pb2.GraphDef, "graph_def")


def _is_message(value, proto_class) -> bool:
    # By message name: tensorboardX compiles TF's protos into its own package.
    descriptor = getattr(value, "DESCRIPTOR", None)
    return getattr(descriptor, "name", None) == proto_class.DESCRIPTOR.name


class FileWriterCache:
    """One shared `FileWriter` per logdir (created with the default graph)."""

    _cache: dict[str, FileWriter] = {}
    _lock = threading.RLock()

    @staticmethod
    def get(logdir) -> FileWriter:
        """The cached FileWriter for `logdir`, created on first use."""
        with FileWriterCache._lock:
            if logdir not in FileWriterCache._cache:
                FileWriterCache._cache[logdir] = FileWriter(logdir, graph=get_default_graph())
            return FileWriterCache._cache[logdir]

    @staticmethod
    def clear() -> None:
        """Closes and forgets every cached FileWriter."""
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache = {}
