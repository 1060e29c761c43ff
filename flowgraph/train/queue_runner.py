"""`tf.train.QueueRunner`: threads that run a queue's enqueue ops until its input ends."""

from __future__ import annotations

import logging
import threading
import weakref

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from flowgraph.client.session import BaseSession, get_default_session
from flowgraph.framework import meta_graph
from flowgraph.framework.ops import GraphKeys, get_default_graph
from flowgraph.framework.scopes import add_to_collection, get_collection
from flowgraph.ops import data_flow_ops
from kernels import errors

_log = logging.getLogger("flowgraph")


class QueueRunner:
    """Holds a queue's enqueue ops, each run in a loop by a thread of its own.

    An enqueue op failing with one of `queue_closed_exception_types` (by default
    `OutOfRangeError`: its input ran out) ends its thread; the last thread to end closes
    the queue, so consumers drain it and then get `OutOfRangeError`. Any other error is
    reported to the coordinator, whose stop request closes the queue and cancels pending
    enqueues (`cancel_op`).

    Example:
      >>> qr = tf.train.QueueRunner(queue, [enqueue_op] * 4)
      >>> tf.train.add_queue_runner(qr)
    """

    def __init__(
        self,
        queue=None,
        enqueue_ops=None,
        close_op=None,
        cancel_op=None,
        queue_closed_exception_types=None,
        queue_runner_def=None,
        import_scope=None,
    ):
        if queue_runner_def is not None:
            if queue or enqueue_ops:
                raise ValueError("queue_runner_def and queue are mutually exclusive.")
            queue, enqueue_ops, close_op, cancel_op, queue_closed_exception_types = _from_def(
                queue_runner_def, import_scope
            )
        if not queue or not enqueue_ops:
            raise ValueError("Must provide queue and enqueue_ops.")
        if queue_closed_exception_types is not None and (
            not isinstance(queue_closed_exception_types, tuple)
            or not queue_closed_exception_types
            or not all(issubclass(t, errors.OpError) for t in queue_closed_exception_types)
        ):
            raise TypeError(
                "queue_closed_exception_types, when provided, must be a tuple of tf.error "
                f"types, but saw: {queue_closed_exception_types}"
            )
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = (
            cancel_op if cancel_op is not None else queue.close(cancel_pending_enqueues=True)
        )
        self._queue_closed_exception_types = queue_closed_exception_types or (
            errors.OutOfRangeError,
        )
        self._lock = threading.Lock()
        self._runs_per_session: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._exceptions_raised: list[Exception] = []

    @property
    def queue(self):
        return self._queue

    @property
    def enqueue_ops(self) -> list:
        return self._enqueue_ops

    @property
    def close_op(self):
        return self._close_op

    @property
    def cancel_op(self):
        return self._cancel_op

    @property
    def queue_closed_exception_types(self) -> tuple:
        return self._queue_closed_exception_types

    @property
    def exceptions_raised(self) -> list[Exception]:
        """Exceptions of threads run without a coordinator (with one, it gets them)."""
        return self._exceptions_raised

    @property
    def name(self) -> str:
        """The name of the queue."""
        return self._queue.name

    def to_proto(self, export_scope=None):
        """This runner as a `QueueRunnerDef` (None if it is outside `export_scope`)."""
        names = [self._queue.queue_ref.op.name, self._close_op.name, self._cancel_op.name]
        names += [op.name for op in self._enqueue_ops]
        if export_scope and not all(n.startswith(export_scope) for n in names):
            return None
        strip = lambda n: meta_graph.strip_name_scope(n, export_scope)  # noqa: E731
        return QueueRunnerDef(
            queue_name=strip(self._queue.queue_ref.op.name),
            enqueue_op_name=[strip(op.name) for op in self._enqueue_ops],
            close_op_name=strip(self._close_op.name),
            cancel_op_name=strip(self._cancel_op.name),
            queue_closed_exception_types=[t.code for t in self._queue_closed_exception_types],
        )

    @staticmethod
    def from_proto(queue_runner_def, import_scope=None) -> "QueueRunner":
        """The QueueRunner a `QueueRunnerDef` describes, over ops of the default graph."""
        return QueueRunner(queue_runner_def=queue_runner_def, import_scope=import_scope)

    def _run(self, sess, enqueue_op, coord=None) -> None:
        """Runs `enqueue_op` until the input ends (then closes the queue if last) or fails."""
        decremented = False
        try:
            enqueue = sess.make_callable(enqueue_op)
            while not (coord and coord.should_stop()):
                try:
                    enqueue()
                except self._queue_closed_exception_types:
                    with self._lock:
                        self._runs_per_session[sess] -= 1
                        decremented = True
                        if self._runs_per_session[sess] == 0:
                            self._run_quietly(sess, self._close_op)
                    return
        except Exception as e:
            if coord:
                coord.request_stop(e)
            else:
                _log.error("Exception in QueueRunner: %s", e)
                with self._lock:
                    self._exceptions_raised.append(e)
                raise
        finally:
            if not decremented:
                with self._lock:
                    self._runs_per_session[sess] -= 1

    def _close_on_stop(self, sess, cancel_op, coord) -> None:
        """Closes the queue, cancelling pending enqueues, once the coordinator stops."""
        coord.wait_for_stop()
        self._run_quietly(sess, cancel_op)

    @staticmethod
    def _run_quietly(sess, op) -> None:
        try:
            sess.run(op)
        except Exception as e:  # the session may be closed already: nothing left to close
            _log.debug("Ignored exception: %s", e)

    def create_threads(self, sess, coord=None, daemon=False, start=False) -> list:
        """Creates a thread per enqueue op (plus one closing the queue on `coord`'s stop).

        Returns no threads when threads of this runner still run for `sess`.

        Args:
          sess: the Session to run the enqueue ops in.
          coord: a Coordinator the threads report errors to and stop with.
          daemon: make the threads daemon threads.
          start: start the threads.

        Returns:
          The list of threads.
        """
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [
            threading.Thread(
                target=self._run,
                args=(sess, op, coord),
                name=f"QueueRunnerThread-{self.name}-{op.name}",
            )
            for op in self._enqueue_ops
        ]
        if coord:
            threads.append(
                threading.Thread(
                    target=self._close_on_stop,
                    args=(sess, self._cancel_op, coord),
                    name=f"QueueRunnerThread-{self.name}-close_on_stop",
                )
            )
        for t in threads:
            if coord:
                coord.register_thread(t)
            if daemon:
                t.daemon = True
            if start:
                t.start()
        return threads


def add_queue_runner(qr, collection=GraphKeys.QUEUE_RUNNERS) -> None:
    """Adds `qr` to a graph collection (by default `GraphKeys.QUEUE_RUNNERS`), where
    `start_queue_runners` finds it."""
    add_to_collection(collection, qr)


def start_queue_runners(
    sess=None, coord=None, daemon=True, start=True, collection=GraphKeys.QUEUE_RUNNERS
) -> list:
    """Starts threads for every queue runner in the graph's `collection`.

    Args:
      sess: the Session to run in (default: the default session).
      coord: an optional Coordinator for the threads.
      daemon: make the threads daemon threads (they do not block program exit).
      start: start the threads.
      collection: the collection of QueueRunners.

    Returns:
      The list of threads.
    """
    if sess is None:
        sess = get_default_session()
        if not sess:
            raise ValueError(
                "Cannot start queue runners: No default session is registered. Use `with "
                "sess.as_default()` or pass an explicit session to "
                "tf.start_queue_runners(sess=sess)"
            )
    if not isinstance(sess, BaseSession):
        raise TypeError(f"sess must be a `tf.Session` object. Given class: {sess.__class__}")
    threads = []
    with sess.graph.as_default():
        for qr in get_collection(collection):
            threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads


# -- QueueRunnerDef (tensorflow/core/protobuf/queue_runner.proto) ------------------------------
#
# tensorboard's compat protos leave this file out; the message is described field by field
# with TF's package and field numbers (the error-code enum is read as its int32 values, the
# same bytes), so MetaGraphs carry queue runners as TensorFlow's do.


def _queue_runner_def_class():
    f = descriptor_pb2.FileDescriptorProto(
        name="tensorflow/core/protobuf/queue_runner.proto", package="tensorflow", syntax="proto3"
    )
    message = f.message_type.add(name="QueueRunnerDef")
    field = descriptor_pb2.FieldDescriptorProto
    for number, name, label, type_ in (
        (1, "queue_name", field.LABEL_OPTIONAL, field.TYPE_STRING),
        (2, "enqueue_op_name", field.LABEL_REPEATED, field.TYPE_STRING),
        (3, "close_op_name", field.LABEL_OPTIONAL, field.TYPE_STRING),
        (4, "cancel_op_name", field.LABEL_OPTIONAL, field.TYPE_STRING),
        (5, "queue_closed_exception_types", field.LABEL_REPEATED, field.TYPE_INT32),
    ):
        message.field.add(name=name, number=number, label=label, type=type_)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorflow.QueueRunnerDef"))


QueueRunnerDef = _queue_runner_def_class()


def _from_def(queue_runner_def, import_scope):
    graph = get_default_graph()

    def element(name):
        return graph.as_graph_element(meta_graph.prepend_name_scope(name, import_scope))

    handle = element(queue_runner_def.queue_name).outputs[0]
    dtypes_attr = handle.op.get_attr("component_types")
    queue = data_flow_ops.QueueBase(list(dtypes_attr), None, None, handle)
    codes = {c.code: c for c in _error_classes()}
    closed = tuple(codes[c] for c in queue_runner_def.queue_closed_exception_types) or None
    return (
        queue,
        [element(n) for n in queue_runner_def.enqueue_op_name],
        element(queue_runner_def.close_op_name),
        element(queue_runner_def.cancel_op_name),
        closed,
    )


def _error_classes() -> list:
    return [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.OpError) and hasattr(c, "code")
    ]


meta_graph.register_proto_function(
    GraphKeys.QUEUE_RUNNERS, QueueRunnerDef, QueueRunner.to_proto, QueueRunner.from_proto
)
