"""`tf.train.QueueRunner`: threads that run a queue's enqueue ops until its input ends."""

from __future__ import annotations

import logging
import threading
import weakref

from flowgraph.client.session import BaseSession, get_default_session
from flowgraph.framework.ops import GraphKeys
from flowgraph.framework.scopes import add_to_collection, get_collection
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
            raise NotImplementedError("QueueRunner from a QueueRunnerDef is not supported")
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
